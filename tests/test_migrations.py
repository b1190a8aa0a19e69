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
from datetime import UTC, date, datetime

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


# moving personal data (revision b7d2c91f4a30) ------------------------------------------------

BEFORE_PERSONAL_DATA = "77c401c343dd"
PEOPLE = [  # id number, phone, birth date
    ("52022119900307123X", "13812345678", date(1990, 3, 7)),
    ("520324198811120246", None, date(1988, 11, 12)),
]


def _old_rows(tables, pii) -> None:
    """A county, an organisation, learners and an enrolment in the schema before the change."""
    now = datetime(2023, 3, 1, tzinfo=UTC)
    db.session.execute(tables["county"].insert(), [{
        "code": "520221", "name": "水城县", "prefecture": "六盘水市", "province": "贵州省",
        "province_code": "52", "is_priority": True, "list_version": "t", "is_current": True,
        "updated_at": now}])
    db.session.execute(tables["organisation"].insert(), [{
        "id": 1, "name": "水城县社工站", "kind": "station", "county_code": "520221",
        "contact_phone": "13900001111", "created_at": now, "updated_at": now}])
    db.session.execute(tables["learner"].insert(), [{
        "id": index, "name": f"学员{index}", "gender": "male", "birth_date": born,
        "id_number_enc": pii.encrypt(number), "id_number_hash": pii.search_hash(number),
        "id_number_masked": number[:4] + "*" * 10 + number[-4:],
        "phone_enc": pii.encrypt(phone) if phone else None,
        "phone_hash": pii.search_hash(phone) if phone else None,
        "phone_masked": phone[:3] + "****" + phone[-4:] if phone else None,
        "organisation_id": 1, "qualification": "none", "created_at": now, "updated_at": now,
    } for index, (number, phone, born) in enumerate(PEOPLE, start=1)])
    db.session.execute(tables["programme"].insert(), [{
        "id": 1, "name": "p", "starts_on": date(2023, 1, 1), "ends_on": date(2025, 12, 31)}])
    db.session.execute(tables["phase"].insert(), [{
        "id": 1, "programme_id": 1, "number": 1, "name": "一", "starts_on": date(2023, 2, 15),
        "ends_on": date(2023, 8, 14)}])
    db.session.execute(tables["track"].insert(), [{"id": 1, "phase_id": 1, "name": "t", "position": 1}])
    db.session.execute(tables["course"].insert(), [{
        "id": 1, "track_id": 1, "code": "C1", "title": "c", "class_hours": 4, "mode": "online",
        "completion_min_rate": 0.8, "has_assessment": False, "created_at": now}])
    db.session.execute(tables["enrolment"].insert(), [{
        "learner_id": 1, "course_id": 1, "status": "enrolled", "enrolled_at": now}])
    db.session.commit()


def test_personal_data_moves_with_the_migration_and_back(app_config, empty_database):
    empty_database_url = empty_database("pii_move")
    from trainhub.learners.models import Learner
    from trainhub.orgs.models import Organisation
    from trainhub.pii import cipher

    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_PERSONAL_DATA)
        tables = sa.MetaData()
        tables.reflect(bind=db.engine)
        _old_rows(tables.tables, cipher())

        flask_migrate.upgrade()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("learner")}
        assert not columns & {"birth_date", "id_number_masked", "phone_masked"}
        assert "contact_phone" not in {c["name"] for c in sa.inspect(db.engine).get_columns("organisation")}
        stored = repr(db.session.execute(sa.text("SELECT * FROM learner")).all())
        stored += repr(db.session.execute(sa.text("SELECT * FROM organisation")).all())
        for number, phone, born in PEOPLE:
            assert number not in stored and born.isoformat() not in stored
            assert phone is None or phone not in stored
        assert "13900001111" not in stored and "*" not in stored  # no masks either
        learners = db.session.scalars(sa.select(Learner).order_by(Learner.id)).all()
        assert [(x.id_number(cipher()), x.phone(cipher()), x.birth_date, x.birth_year) for x in learners] \
            == [(number, phone, born, born.year) for number, phone, born in PEOPLE]
        assert learners[0].id_number_masked == "5202**********123X"
        assert db.session.get(Organisation, 1).contact_phone == "13900001111"
        assert db.session.scalar(sa.text("SELECT count(*) FROM enrolment")) == 1
        db.session.remove()

        flask_migrate.downgrade(revision=BEFORE_PERSONAL_DATA)
        rows = db.session.execute(sa.text(
            "SELECT birth_date, id_number_masked, phone_masked FROM learner ORDER BY id")).all()
        assert [(str(born)[:10], masked, phone) for born, masked, phone in rows] == [
            ("1990-03-07", "5202**********123X", "138****5678"),
            ("1988-11-12", "5203**********0246", None),
        ]
        assert db.session.scalar(sa.text("SELECT contact_phone FROM organisation")) == "13900001111"
        db.session.remove()
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()


def test_the_migration_refuses_a_key_that_cannot_read_the_data(app_config, empty_database,
                                                                caplog):
    empty_database_url = empty_database("pii_refuse")
    from trainhub.pii import PersonalDataCipher, generate_data_key

    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_PERSONAL_DATA)
        tables = sa.MetaData()
        tables.reflect(bind=db.engine)
        _old_rows(tables.tables, PersonalDataCipher(generate_data_key()))  # another key
        with pytest.raises(SystemExit):
            flask_migrate.upgrade()
        assert "cannot decrypt the ID numbers already stored" in caplog.text
        assert "无法解密数据库中已有的身份证号码" in caplog.text
        db.session.remove()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == BEFORE_PERSONAL_DATA
            columns = {c["name"] for c in sa.inspect(conn).get_columns("learner")}
            assert "birth_date" in columns and "birth_year" not in columns  # nothing changed
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()
