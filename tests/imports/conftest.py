"""Fixtures of the bulk import tests: counties, an organisation, a course, table counts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from import_rosters import EXISTING_ORG, GANLUO, SANDU, WEINING

from trainhub.extensions import db


@pytest.fixture
def counties(app):
    """A few counties: two namesakes (朝阳区), one outside province 52, one retired code."""
    from trainhub.geo.models import County

    rows = [
        (WEINING, "威宁彝族回族苗族自治县", "毕节市", "贵州省", True),
        (SANDU, "三都水族自治县", "黔南布依族苗族自治州", "贵州省", True),
        (GANLUO, "甘洛县", "凉山彝族自治州", "四川省", True),
        ("110105", "朝阳区", "市辖区", "北京市", True),
        ("220104", "朝阳区", "长春市", "吉林省", True),
        ("520221", "水城县", "六盘水市", "贵州省", False),
    ]
    with app.app_context():
        db.session.add_all([
            County(code=code, name=name, prefecture=prefecture, province=province,
                   province_code=code[:2], is_priority=code[:2] in {"52", "51"},
                   list_version="NBS-2023", is_current=current)
            for code, name, prefecture, province, current in rows
        ])
        db.session.commit()


@pytest.fixture
def organisation(app, counties):
    """威宁县阳光社会工作服务中心, an agency already registered; returns its id."""
    from trainhub.orgs.models import Organisation, OrgKind

    with app.app_context():
        org = Organisation(name=EXISTING_ORG, kind=OrgKind.AGENCY, county_code=WEINING)
        db.session.add(org)
        db.session.commit()
        return org.id


@pytest.fixture
def course(app):
    """A course P1-TEST-01 with room for two learners; returns its code."""
    from decimal import Decimal

    from trainhub.courses.models import Course, CourseMode
    from trainhub.courses.operations import ensure_initial_programme

    with app.app_context():
        setup = ensure_initial_programme()
        db.session.add(Course(track=setup.tracks[0], code="P1-TEST-01", title="测试课程",
                              class_hours=Decimal(8), mode=CourseMode.ONLINE, capacity=2))
        db.session.commit()
    return "P1-TEST-01"


@pytest.fixture
def table_counts(app):
    """Rows per table, to prove that a refusal wrote nothing."""

    def counts() -> dict[str, int]:
        with app.app_context():
            return {
                table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables
            }

    return counts
