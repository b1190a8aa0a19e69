"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trainhub import create_app
from trainhub.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema."""
    base = os.environ.get("TRAINHUB_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    schema = f"migration_check_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def test_migrations_match_models(app_config, empty_database_url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree, run `trainhub db migrate`: {diff}"

        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables

        # named constraints from the naming convention reach the database
        uniques = {u["name"] for u in sa.inspect(db.engine).get_unique_constraints("attendance")}
        assert "uq_attendance_learner_session" in uniques

        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
