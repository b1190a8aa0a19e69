"""Configuration order, generated secrets and the production guard."""

from __future__ import annotations

import pytest

from trainhub import create_app
from trainhub.config import ConfigError


def test_development_generates_secrets_once_and_keeps_them(tmp_path, monkeypatch):
    for name in ("TRAINHUB_SECRET_KEY", "TRAINHUB_DATA_KEY", "TRAINHUB_DATABASE_URL", "TRAINHUB_ENV"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)})
    assert (instance / "secret_key").exists() and (instance / "data_key").exists()
    assert oct((instance / "data_key").stat().st_mode & 0o777) == "0o600"
    second = create_app({"INSTANCE_PATH": str(instance)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["DATA_KEY"] == second.config["DATA_KEY"]
    assert second.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'trainhub.sqlite'}"


def test_production_refuses_to_start_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINHUB_ENV", "production")
    monkeypatch.delenv("TRAINHUB_SECRET_KEY", raising=False)
    monkeypatch.delenv("TRAINHUB_DATA_KEY", raising=False)
    with pytest.raises(ConfigError, match="TRAINHUB_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert not (tmp_path / "instance" / "secret_key").exists()

    monkeypatch.setenv("TRAINHUB_SECRET_KEY", "s" * 64)
    with pytest.raises(ConfigError, match="TRAINHUB_DATA_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "TIMEZONE = 'Asia/Urumqi'\nLOGIN_LIMIT_ADDRESS = '3 per minute'\n"
    )
    monkeypatch.setenv("TRAINHUB_LOGIN_LIMIT_ADDRESS", "5 per minute")
    monkeypatch.setenv("TRAINHUB_EXCUSED_COUNTS_AGAINST", "true")
    monkeypatch.setenv("TRAINHUB_DATABASE_URL", "postgresql://u@localhost/db")
    monkeypatch.setenv("TRAINHUB_REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app({"INSTANCE_PATH": str(instance)})
    assert app.config["TIMEZONE"] == "Asia/Urumqi"  # from instance/config.py
    assert app.config["LOGIN_LIMIT_ADDRESS"] == "5 per minute"  # environment wins
    assert app.config["EXCUSED_COUNTS_AGAINST"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@localhost/db"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_sqlite_connections_use_wal_and_foreign_keys(app):
    from trainhub.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_a_lost_data_key_is_not_silently_replaced(tmp_path, monkeypatch):
    for name in ("TRAINHUB_SECRET_KEY", "TRAINHUB_DATA_KEY", "TRAINHUB_DATABASE_URL", "TRAINHUB_ENV"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    create_app({"INSTANCE_PATH": str(instance)})
    (instance / "trainhub.sqlite").write_bytes(b"SQLite format 3\x00 with learners")
    (instance / "data_key").unlink()
    with pytest.raises(ConfigError, match="Restore the key"):
        create_app({"INSTANCE_PATH": str(instance)})
    assert not (instance / "data_key").exists()


def test_rate_limits_are_shared_by_every_process(tmp_path, monkeypatch):
    """Without Redis the counts live in the database; with Redis there, asked with short
    time-outs so that a Redis that hangs cannot hold a sign-in for long."""
    for name in ("TRAINHUB_REDIS_URL", "TRAINHUB_RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "a")})
    assert app.config["RATELIMIT_STORAGE_URI"] == "trainhub+db://"
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True

    monkeypatch.setenv("TRAINHUB_REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("TRAINHUB_REDIS_TIMEOUT", "0.5")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "b")})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {"socket_timeout": 0.5,
                                                       "socket_connect_timeout": 0.5}


@pytest.mark.parametrize("key", ["LOGIN_LIMIT_USER_ADDRESS", "LOGIN_LIMIT_ADDRESS", "LOGIN_LIMIT_USER"])
@pytest.mark.parametrize("value", ["ten a minute", "10/fortnight", "-1 per minute"])
def test_a_malformed_sign_in_limit_stops_start_up(tmp_path, monkeypatch, key, value):
    monkeypatch.setenv(f"TRAINHUB_{key}", value)
    with pytest.raises(ConfigError, match=key):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})


def _clean_environment(monkeypatch) -> None:
    for name in ("TRAINHUB_SECRET_KEY", "TRAINHUB_DATA_KEY", "TRAINHUB_OLD_DATA_KEYS",
                 "TRAINHUB_DATABASE_URL", "TRAINHUB_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("key", ["changeme", "s" * 64, "dGVzdA==",
                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="])
def test_a_malformed_data_key_stops_start_up_with_a_clear_message(tmp_path, monkeypatch, key):
    _clean_environment(monkeypatch)
    monkeypatch.setenv("TRAINHUB_DATA_KEY", key)
    with pytest.raises(ConfigError) as caught:
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    message = str(caught.value)
    assert "TRAINHUB_DATA_KEY" in message
    assert "32 字节" in message or "不是随机生成的密钥" in message
    assert "trainhub rotate-data-key --generate" in message
    assert key not in message  # a secret is never repeated in a message that reaches logs


def test_a_malformed_key_file_is_named(tmp_path, monkeypatch):
    _clean_environment(monkeypatch)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "data_key").write_text("my secret passphrase\n")
    with pytest.raises(ConfigError, match="data_key 格式不正确"):
        create_app({"INSTANCE_PATH": str(instance)})


def test_old_data_keys_from_the_environment_or_the_instance_file(tmp_path, monkeypatch):
    from trainhub.pii import generate_data_key

    _clean_environment(monkeypatch)
    instance = tmp_path / "instance"
    instance.mkdir()
    current, old1, old2 = generate_data_key(), generate_data_key(), generate_data_key()
    monkeypatch.setenv("TRAINHUB_DATA_KEY", current)
    (instance / "old_data_keys").write_text(f"# rotated 2026-12-01\n{old1}\n\n{old2}\n")
    app = create_app({"INSTANCE_PATH": str(instance)})
    assert app.config["OLD_DATA_KEYS"] == [old1, old2]
    assert app.extensions["trainhub_pii"].key_count == 3

    monkeypatch.setenv("TRAINHUB_OLD_DATA_KEYS", f"{old2}, {old1}")  # the environment wins
    assert create_app({"INSTANCE_PATH": str(instance)}).config["OLD_DATA_KEYS"] == [old2, old1]

    monkeypatch.setenv("TRAINHUB_OLD_DATA_KEYS", f"{old1},not-a-key")
    with pytest.raises(ConfigError, match="TRAINHUB_OLD_DATA_KEYS"):
        create_app({"INSTANCE_PATH": str(instance)})
