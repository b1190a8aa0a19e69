"""One cleaning rule (``trainhub.text``) for every text field from every entry point:
direction overrides, zero-width characters, control characters and stray line feeds never
reach the database, whether typed on a page, sent to the API, or read from a file."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.extensions import db
from trainhub.text import clean_line, clean_text, has_lone_surrogate

#: What people paste: a right-to-left override, a zero-width space, BEL, a line feed, a tab.
DIRTY = "社工\u202e站\u200b长\u0007\n主\t任 "


def test_the_one_line_rule():
    assert clean_line(DIRTY) == "社工站长 主 任"
    assert clean_line("  \ufeff张\u00a0 三\r\n") == "张 三"
    assert clean_line(None) == "" and clean_line(42) == ""


def test_the_several_lines_rule_keeps_paragraphs():
    assert clean_text("第一行\u202e \r\n\r\n\r\n\r\n第二\u0007行\t ") == "第一行\n\n第二 行"


def test_a_lone_surrogate_is_recognised():
    assert has_lone_surrogate("abc\ud800") and not has_lone_surrogate("正常文本😀")


def test_the_api_cleans_a_learner_position(app, client, api_headers, reference_data):
    from trainhub.learners.models import Learner
    from trainhub.orgs.operations import create_organisation

    with app.app_context():
        org_id = create_organisation(name="水城区阳光社工服务中心", kind="agency",
                                     county_code="520204").id
        db.session.commit()
    response = client.post("/api/v1/learners", headers=api_headers("office"), json={
        "name": "\u200b张\u202e明", "id_number": "520221199003071230", "phone": "13812345678",
        "organisation_id": org_id, "position": DIRTY,
    })
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        learner = db.session.scalar(sa.select(Learner))
        assert (learner.name, learner.position) == ("张明", "社工站长 主 任")


@pytest.mark.parametrize("cell", [DIRTY])
def test_a_roster_cell_is_cleaned_by_the_same_rule(cell):
    from trainhub.spreadsheets import read_table

    data = ("姓名,职务\n张三," + cell.replace("\n", " ") + "\n").encode()
    table = read_table("名单.csv", data)
    assert table.rows[0][1].text == clean_line(cell)
