"""The Alembic migrations build exactly the schema the models describe.

Alembic's comparison covers tables, columns, types, indexes, unique and foreign keys, but
not CHECK constraints; those are compared here by reading them back from the migrated
database and from a database the models' metadata built directly (``create_all``), so that
the database itself renders both sides' definitions the same way (PostgreSQL rewrites them
through ``pg_get_constraintdef``; SQLite keeps the text of ``CREATE TABLE``).
"""

from __future__ import annotations

import os
import re
import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from trainhub import create_app
from trainhub.extensions import db


@pytest.fixture
def empty_database(tmp_path):
    """``empty_database(name)``: the URL of a database with nothing in it, a new SQLite file
    or a new PostgreSQL schema (dropped after the test)."""
    base = os.environ.get("TRAINHUB_TEST_DATABASE_URL")
    engine = sa.create_engine(base) if base else None
    schemas = []

    def make(name: str) -> str:
        if engine is None:
            return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        schema = f"{name}_{uuid.uuid4().hex[:8]}"
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    if engine is not None:
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _normalised(sqltext: str) -> str:
    text = re.sub(r"\s+", " ", sqltext).strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def check_constraints(engine) -> dict[tuple[str, str], str]:
    """``(table, constraint name) -> normalised definition`` of every CHECK constraint."""
    inspector = sa.inspect(engine)
    return {
        (table, check["name"]): _normalised(check["sqltext"])
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


def check_constraint_problems(migrated: dict, empty_database) -> list[str]:
    """How the migrated CHECK constraints differ from those the models declare."""
    reference = sa.create_engine(empty_database("models_check"))
    try:
        db.metadata.create_all(reference)
        expected = check_constraints(reference)
    finally:
        reference.dispose()
    declared = {
        (table.name, constraint.name)
        for table in db.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, sa.CheckConstraint)
    }
    # reading back misses nothing the models declare (the enums' checks included)
    assert set(expected) == declared and len(declared) > 20
    problems = [f"{table}.{name} is missing from the migrations"
                for table, name in sorted(set(expected) - set(migrated))]
    problems += [f"{table}.{name} is only in the migrations"
                 for table, name in sorted(set(migrated) - set(expected))]
    problems += [
        f"{table}.{name}: migrations {migrated[table, name]!r}, models {expected[table, name]!r}"
        for table, name in sorted(set(expected) & set(migrated))
        if migrated[table, name] != expected[table, name]
    ]
    return problems


def test_migrations_match_models(app_config, empty_database):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database("migration_check")})
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

        # CHECK constraints, which Alembic's comparison leaves out: by name and definition
        problems = check_constraint_problems(check_constraints(db.engine), empty_database)
        assert not problems, (
            "CHECK constraints of the migrations and the models disagree (write a migration "
            "by hand: autogenerate does not see them):\n  " + "\n  ".join(problems)
        )

        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
