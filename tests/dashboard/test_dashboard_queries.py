"""Dashboard reads that deserve a direct look: the attendance rate rule, area names."""

from __future__ import annotations

import pytest

from trainhub.dashboard.queries import area_name, attendance_rate
from trainhub.extensions import db


@pytest.mark.parametrize(
    ("attended", "excused", "held", "against", "expected"),
    [
        (3, 1, 5, False, 0.75),  # excused left out of both sides: 3 / 4
        (3, 1, 5, True, 0.6),  # excused counted as not attended: 3 / 5
        (0, 0, 0, False, None),  # nothing held yet
        (0, 2, 2, False, None),  # every held session excused: nothing to measure
        (0, 2, 2, True, 0.0),
        (4, 0, 4, False, 1.0),
    ],
)
def test_attendance_rate(attended, excused, held, against, expected):
    assert attendance_rate(attended, excused, held, excused_counts_against=against) == expected


def test_area_names(app, world):
    with app.app_context():
        assert area_name("52") == "贵州省"
        assert area_name("522626") == "贵州省黔东南苗族侗族自治州岑巩县"
        assert area_name(None) is None
        # a scope whose code is not (or no longer) in the list is shown as the code itself
        assert area_name("99") == "99"
        db.session.rollback()
