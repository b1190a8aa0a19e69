"""Fixtures of the accounts tests."""

from __future__ import annotations

import pytest

from trainhub.extensions import db


@pytest.fixture
def counties(app):
    """Two counties of the code list, enough to check coordinator scopes (52 and 62)."""
    from trainhub.geo.models import County

    with app.app_context():
        db.session.add_all([
            County(code="522626", name="岑巩县", prefecture="黔东南苗族侗族自治州", province="贵州省",
                   province_code="52", list_version="NBS-2023"),
            County(code="620102", name="城关区", prefecture="兰州市", province="甘肃省",
                   province_code="62", list_version="NBS-2023"),
        ])
        db.session.commit()


@pytest.fixture
def audit_actions(app):
    """The audit log as (action, detail) pairs, oldest first."""
    import sqlalchemy as sa

    from trainhub.audit.models import AuditEntry

    def read() -> list[tuple[str, dict]]:
        with app.app_context():
            rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
            return [(row.action, row.detail) for row in rows]

    return read


@pytest.fixture
def get_user(app):
    """Load a user by user name in its own app context (detached, attributes loaded)."""
    from trainhub.accounts.queries import user_by_username

    def get(username: str):
        with app.app_context():
            user = user_by_username(username)
            if user is not None:
                db.session.expunge(user)
            return user

    return get
