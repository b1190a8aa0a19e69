"""Dashboard reads that deserve a direct look: area names (the attendance-rate rule is tested
in tests/attendance)."""

from __future__ import annotations

from trainhub.dashboard.queries import area_name
from trainhub.extensions import db


def test_area_names(app, world):
    with app.app_context():
        assert area_name("52") == "贵州省"
        assert area_name("522626") == "贵州省黔东南苗族侗族自治州岑巩县"
        assert area_name(None) is None
        # a scope whose code is not (or no longer) in the list is shown as the code itself
        assert area_name("99") == "99"
        db.session.rollback()
