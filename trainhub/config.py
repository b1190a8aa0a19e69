"""Configuration: defaults, then ``instance/config.py``, then ``TRAINHUB_*`` variables.

Secrets (the session key and the personal-data key) are generated once in development and
kept in the instance folder; in production a missing secret stops start-up.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from limits import parse_many

from trainhub.limit_storage import DATABASE_STORAGE_URI
from trainhub.links import parse_base_url
from trainhub.pii import DataKeyError, check_data_key, generate_data_key

#: Variables read from the environment: name after the ``TRAINHUB_`` prefix -> config key.
ENV_VARS = {
    "ENV": "ENV",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "DATA_KEY": "DATA_KEY",
    "PUBLIC_URL": "PUBLIC_URL",
    "PROXY_HOPS": "PROXY_HOPS",
    "OLD_DATA_KEYS": "OLD_DATA_KEYS",
    "REDIS_URL": "REDIS_URL",
    "REDIS_TIMEOUT": "REDIS_TIMEOUT",
    "JOBS_IMMEDIATE": "JOBS_IMMEDIATE",
    "JOB_LEASE_SECONDS": "JOB_LEASE_SECONDS",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "HEAVY_RATE_LIMIT": "HEAVY_RATE_LIMIT",
    "LOGIN_LIMIT_USER_ADDRESS": "LOGIN_LIMIT_USER_ADDRESS",
    "LOGIN_LIMIT_ADDRESS": "LOGIN_LIMIT_ADDRESS",
    "LOGIN_LIMIT_USER": "LOGIN_LIMIT_USER",
    "FEED_MISS_LIMIT": "FEED_MISS_LIMIT",
    "MAX_CONTENT_LENGTH": "MAX_CONTENT_LENGTH",
    "IMPORT_MAX_BYTES": "IMPORT_MAX_BYTES",
    "IMPORT_MAX_ROWS": "IMPORT_MAX_ROWS",
    "TIMEZONE": "TIMEZONE",
    "EXCUSED_COUNTS_AGAINST": "EXCUSED_COUNTS_AGAINST",
}

BOOL_KEYS = {"JOBS_IMMEDIATE", "EXCUSED_COUNTS_AGAINST", "TESTING"}
INT_KEYS = {"MAX_CONTENT_LENGTH", "IMPORT_MAX_BYTES", "IMPORT_MAX_ROWS", "PROXY_HOPS", "JOB_LEASE_SECONDS"}
FLOAT_KEYS = {"REDIS_TIMEOUT"}
#: The sign-in limits (Flask-Limiter notation; only failed attempts count).
LOGIN_LIMIT_KEYS = ("LOGIN_LIMIT_USER_ADDRESS", "LOGIN_LIMIT_ADDRESS", "LOGIN_LIMIT_USER")
#: The limits checked at start-up (Flask-Limiter notation).
LIMIT_KEYS = (*LOGIN_LIMIT_KEYS, "FEED_MISS_LIMIT")

SECRET_FILES = {"SECRET_KEY": "secret_key", "DATA_KEY": "data_key"}
#: Instance file of the old data keys still readable during a rotation, one a line.
OLD_DATA_KEYS_FILE = "old_data_keys"


class ConfigError(RuntimeError):
    """Raised when the configuration cannot work; the message tells the operator what to do."""


class Defaults:
    ENV = "development"
    TESTING = False
    SQLALCHEMY_DATABASE_URI = None  # filled with instance/trainhub.sqlite
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SECRET_KEY = None
    #: Base key from which the encryption key and the search-hash key of personal data derive:
    #: 32 random bytes, url-safe base64 (Fernet's format). Writes and hashes use it.
    DATA_KEY = None
    #: Where people reach the application (``https://px.example.org``): every link that
    #: leaves it (activation links, later QR codes and calendar feeds) starts with it.
    PUBLIC_URL = None
    #: Reverse proxies in front of the application whose X-Forwarded-For and
    #: X-Forwarded-Proto headers are believed (0: none, the client talks to gunicorn).
    PROXY_HOPS = 0
    #: Earlier data keys, still readable until ``trainhub rotate-data-key`` has re-encrypted
    #: everything under DATA_KEY (a list, or a string of keys separated by commas or spaces).
    OLD_DATA_KEYS: list = []
    REDIS_URL = None
    #: Seconds to wait for Redis before carrying on without it (connecting and answering).
    REDIS_TIMEOUT = 1.0
    #: Run background jobs inline (tests); otherwise a worker picks them up.
    JOBS_IMMEDIATE = False
    #: Seconds without a heartbeat after which a running job counts as interrupted.
    JOB_LEASE_SECONDS = 90
    RATELIMIT_STORAGE_URI = None  # the Redis URL when set, else the database (trainhub.limit_storage)
    #: Set explicitly: the limiter object outlives an app, and must not keep another's setting.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    #: Redis unreachable: count in this process's memory until it answers again, rather
    #: than refuse every request; an error of the storage never becomes a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: Failed sign-ins allowed for one account from one address: the lock-out a guesser at
    #: one desk meets.
    LOGIN_LIMIT_USER_ADDRESS = "10 per minute"
    #: Failed sign-ins allowed from one address, whatever the account (a guesser trying
    #: many names; a training room behind one address shares it).
    LOGIN_LIMIT_ADDRESS = "30 per minute"
    #: Failed sign-ins allowed for one account from all addresses together: far higher, so
    #: that someone guessing elsewhere cannot lock the user out of their own desk for long.
    LOGIN_LIMIT_USER = "100 per hour"
    #: Requests for a calendar feed that does not exist (a wrong, revoked or replaced
    #: address) allowed from one client address: only such misses are counted, so
    #: calendars fetching their feeds never use the allowance up; someone trying addresses
    #: is answered 429 until the window ends.
    FEED_MISS_LIMIT = "30 per minute"
    #: Per-user budget of the heavy endpoints together (imports, exports).
    HEAVY_RATE_LIMIT = "20 per minute;200 per hour"
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    #: Largest roster file a bulk import accepts (web uploads also stop at MAX_CONTENT_LENGTH).
    IMPORT_MAX_BYTES = 10 * 1024 * 1024
    #: Most data rows a bulk import accepts.
    IMPORT_MAX_ROWS = 20_000
    TIMEZONE = "Asia/Shanghai"
    #: Whether excused sessions (请假) count against the attendance rate.
    EXCUSED_COUNTS_AGAINST = False
    #: argon2id parameters (argon2-cffi's PasswordHasher arguments); empty = its defaults.
    PASSWORD_HASH_PARAMS: dict = {}
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    BOOTSTRAP_SERVE_LOCAL = True
    API_PAGE_SIZE = 50
    API_MAX_PAGE_SIZE = 500
    # flask-smorest
    API_TITLE = "trainhub API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


def _coerce(key: str, value):
    if key in BOOL_KEYS and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    try:
        if key in INT_KEYS and isinstance(value, str):
            return int(value)
        if key in FLOAT_KEYS and isinstance(value, str):
            return float(value)
    except ValueError:
        kind = "a whole number" if key in INT_KEYS else "a number"
        raise ConfigError(f"{key} must be {kind}, not {value!r}.") from None
    return value


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` in the documented order, then settle database and secrets."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name, key in ENV_VARS.items():
        value = os.environ.get(f"TRAINHUB_{name}")
        if value not in (None, ""):
            app.config[key] = _coerce(key, value)
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'trainhub.sqlite'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://") or uri.startswith("postgresql://"):
        # psycopg 3 is the driver we install
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    else:
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("pool_pre_ping", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # database errors end up in the log: their text must not carry the statement's values
    # (names, an organisation's contact mobile number, a typed search)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("hide_parameters", True)

    _settle_proxy_and_links(app)
    _settle_rate_limits(app)
    _settle_secrets(app, instance)


def _settle_proxy_and_links(app) -> None:
    """Check the public URL and the proxy hops; make cookies Secure where HTTPS is used."""
    if app.config.get("PUBLIC_URL"):
        try:
            app.config["PUBLIC_URL"] = parse_base_url(app.config["PUBLIC_URL"])
        except ValueError as error:
            raise ConfigError(f"PUBLIC_URL: {error}") from None
    hops = app.config.get("PROXY_HOPS")
    if isinstance(hops, bool) or not isinstance(hops, int) or not 0 <= hops <= 5:
        raise ConfigError(f"PROXY_HOPS must be a whole number from 0 to 5, not {hops!r}: the "
                          "number of reverse proxies in front of the application.")
    public_https = (app.config.get("PUBLIC_URL") or "").startswith("https://")
    if app.config["ENV"] == "production" or public_https:
        # the browser sends them back over HTTPS only (behind the proxy, as production runs)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _settle_rate_limits(app) -> None:
    """Check the limits; choose the storage of the counts and its time-outs."""
    for key in LIMIT_KEYS:
        try:
            parse_many(str(app.config.get(key) or ""))
        except ValueError:
            raise ConfigError(f"{key} must be a limit such as '10 per minute' or "
                              f"'100 per hour', not {app.config.get(key)!r}.") from None
    timeout = app.config.get("REDIS_TIMEOUT")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 30:
        raise ConfigError(f"REDIS_TIMEOUT must be a number of seconds above 0 and at most 30, "
                          f"not {timeout!r}.")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # every process of the installation shares the counts: Redis, else the database
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or DATABASE_STORAGE_URI
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):  # redis, rediss, redis+unix
        # a stopped or hanging Redis must cost a request at most this long, once: the
        # limiter then counts in memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)
        options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_timeout", timeout)
        options.setdefault("socket_connect_timeout", timeout)
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options


def _database_has_data(app, instance: Path) -> bool:
    """Whether the embedded SQLite database exists with content (checked on disk only)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        return False
    path = Path(uri[len("sqlite:///"):])
    return path.exists() and path.stat().st_size > 0


def _settle_secrets(app, instance: Path) -> None:
    production = app.config["ENV"] == "production"
    for key, filename in SECRET_FILES.items():
        if app.config.get(key):
            continue
        path = instance / filename
        if path.exists():
            app.config[key] = path.read_text().strip()
            continue
        if production:
            raise ConfigError(
                f"未设置 TRAINHUB_{key}，且 {path} 不存在：生产环境必须提供全部密钥。 / "
                f"TRAINHUB_{key} is not set and {path} does not exist. In production every "
                f"secret must be provided: set TRAINHUB_{key} or put it in {path} "
                "(see README, 'Secrets and backups')."
            )
        if key == "DATA_KEY" and _database_has_data(app, instance):
            # a new key cannot read what the old one encrypted: never replace it silently
            raise ConfigError(
                f"个人信息密钥 {path} 不存在，但数据库中已有数据：请从备份中恢复该密钥。 / "
                f"The personal-data key {path} is missing but the database already holds data. "
                "Restore the key from your backup (or set TRAINHUB_DATA_KEY); a new key could not "
                "decrypt the ID and mobile numbers already stored (see README, 'Secrets and backups')."
            )
        value = generate_data_key() if key == "DATA_KEY" else secrets.token_hex(32)
        # exclusive create: two processes starting at once must not write different keys
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            app.config[key] = path.read_text().strip()
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        app.config[key] = value
    _settle_data_keys(app, instance)


def _key_list(value) -> list[str]:
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    return [str(part).strip() for part in value or () if str(part).strip()]


def _settle_data_keys(app, instance: Path) -> None:
    """Check the data key's format (and the old keys'); read old keys from the instance file
    when the environment and the configuration give none."""
    old = _key_list(app.config.get("OLD_DATA_KEYS"))
    path = instance / OLD_DATA_KEYS_FILE
    if not old and path.exists():
        old = [line.strip() for line in path.read_text().splitlines()
               if line.strip() and not line.lstrip().startswith("#")]
    key_file = instance / SECRET_FILES["DATA_KEY"]
    from_file = not os.environ.get("TRAINHUB_DATA_KEY") and key_file.exists() \
        and key_file.read_text().strip() == (app.config["DATA_KEY"] or "").strip()
    try:
        app.config["DATA_KEY"] = check_data_key(
            app.config["DATA_KEY"], name=str(key_file) if from_file else "TRAINHUB_DATA_KEY"
        )
        app.config["OLD_DATA_KEYS"] = [
            check_data_key(key, name="TRAINHUB_OLD_DATA_KEYS" if not path.exists() else
                           f"TRAINHUB_OLD_DATA_KEYS / {path}") for key in old
        ]
    except DataKeyError as error:
        raise ConfigError(str(error)) from None
