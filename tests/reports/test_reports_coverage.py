"""Coverage of the priority counties: the page, its export and ``/api/v1/coverage``, on the
world of ``tests/org_world.py`` (100 counties flagged by the reference data).

Expected figures: 520204 水城区 has an agency and a station, a pairing in progress and three
learners (complete); 520324 正安县 has a station only; 513431 昭觉县 has an agency and a
learner, its pairing ended. So, for the office: 100 flagged, 3 with organisations, 1 with a
pairing, 2 with learners, 1 complete.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainhub.extensions import db

OFFICE_SUMMARY = ("已标记重点帮扶县 100 个（应为 160 个），其中 3 个已有机构，1 个已有进行中的结对，"
                  "2 个已有学员，1 个三项齐全。")


def row_of(page: str, code: str) -> str:
    return page.split(f'id="county-{code}"')[1].split("</tr>")[0]


def cells(row: str) -> list[str]:
    import re

    return re.findall(r'<td class="text-end"[^>]*>(?:<a [^>]+>)?([^<]*)', row)


def test_office_sees_every_priority_county_by_province(client, login, org_world):
    login("office")
    response = client.get("/coverage")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert OFFICE_SUMMARY in page
    assert "其余 60 个县待项目办核实后补充标记" in page
    assert page.count('id="county-') == 100
    assert 'id="province-52"' in page and 'id="province-51"' in page and 'id="province-11"' not in page
    shuicheng = row_of(page, "520204")
    assert cells(shuicheng) == ["1", "1", "0", "1", "3"]  # agency, station, supporter, pairings, learners
    assert "齐全" in shuicheng
    zhengan = row_of(page, "520324")
    assert cells(zhengan) == ["0", "1", "0", "0", "0"]
    assert "无结对" in zhengan and "无学员" in zhengan and "无机构" not in zhengan
    zhaojue = row_of(page, "513431")
    assert cells(zhaojue) == ["1", "0", "0", "0", "1"]  # its pairing has ended
    assert "无结对" in zhaojue
    guizhou = page.split('id="province-52"')[1].split("</div>")[0]
    assert "已标记 20 个 · 有机构 2 · 有结对 1 · 有学员 1 · 齐全 1" in guizhou


def test_filters_province_and_gaps(client, login, org_world):
    login("office")
    page = client.get("/coverage?province=52&gaps=y").get_data(as_text=True)
    # the totals speak of the whole province; the rows only of the counties with gaps
    assert ("本范围内已标记重点帮扶县 20 个，其中 2 个已有机构，1 个已有进行中的结对，1 个已有学员，"
            "1 个三项齐全。全国已标记重点帮扶县 100 个（应为 160 个）。") in page
    assert page.count('id="county-') == 19
    assert 'id="county-520204"' not in page and 'id="county-520324"' in page
    assert 'id="province-51"' not in page
    page = client.get("/coverage?province=99").get_data(as_text=True)
    assert "请从列表中选择省份。" in page and OFFICE_SUMMARY in page


def test_unflagging_a_county_takes_it_out(app, client, login, org_world):
    from trainhub.geo.operations import set_priority

    with app.app_context():
        set_priority(["520204"], priority=False, source="测试")
        db.session.commit()
    login("office")
    page = client.get("/coverage").get_data(as_text=True)
    assert ("已标记重点帮扶县 99 个（应为 160 个），其中 2 个已有机构，0 个已有进行中的结对，"
            "1 个已有学员，0 个三项齐全。") in page


def test_province_coordinator_sees_their_province(client, login, org_world):
    login("coordinator", scope_code="52")
    page = client.get("/coverage").get_data(as_text=True)
    assert "本范围内已标记重点帮扶县 20 个，其中 2 个已有机构" in page
    assert "全国已标记重点帮扶县 100 个（应为 160 个）" in page
    assert page.count('id="county-') == 20 and 'id="province-51"' not in page
    # another province is not offered and widens nothing
    page = client.get("/coverage?province=51").get_data(as_text=True)
    assert "所选区域（51）不在您的负责区域（52）内。" in page and 'id="county-513431"' not in page


def test_county_coordinator_sees_their_county(client, login, org_world):
    login("coordinator", scope_code="520324")
    page = client.get("/coverage").get_data(as_text=True)
    assert "本范围内已标记重点帮扶县 1 个，其中 1 个已有机构，0 个已有进行中的结对，0 个已有学员" in page
    assert page.count('id="county-') == 1


def test_coordinator_of_a_county_that_is_not_priority(client, login, org_world):
    login("coordinator", scope_code="520102")
    page = client.get("/coverage").get_data(as_text=True)
    assert "本范围内已标记重点帮扶县 0 个" in page and "所选范围内没有已标记的重点帮扶县。" in page


def test_others_are_kept_out(client, login, org_world):
    assert client.get("/coverage").status_code == 302
    login("trainee")
    assert client.get("/coverage").status_code == 403
    assert client.get("/coverage/export.xlsx").status_code == 403


def test_coverage_export(client, login, org_world, read_workbook, as_dicts):
    login("office")
    response = client.get("/coverage/export.xlsx?gaps=y")
    assert response.status_code == 200
    sheets = read_workbook(response.data)
    assert list(sheets) == ["重点帮扶县覆盖", "分省汇总", "说明"]
    counties = {row["县级代码"]: row for row in as_dicts(sheets["重点帮扶县覆盖"])}
    assert len(counties) == 99 and "520204" not in counties  # only the gaps
    assert counties["520324"] == {
        "省份": "贵州省", "县级代码": "520324", "县（区）": "正安县", "地市": "遵义市",
        "社工机构": 0, "乡镇（街道）社工站": 1, "支援方机构": 0, "机构合计": 1,
        "进行中的结对": 0, "学员": 0, "缺口": "无结对、无学员",
    }
    summary = {row["省份"]: row for row in as_dicts(sheets["分省汇总"])}
    assert summary["合计"] == {"省份": "合计", "已标记重点帮扶县": 100, "已有机构": 3, "已有结对": 1,
                             "已有学员": 2, "三项齐全": 1}
    assert summary["贵州省"]["已标记重点帮扶县"] == 20
    notes = [row[0] for row in sheets["说明"][1:]]
    assert notes[0] == OFFICE_SUMMARY and "县级明细仅列出尚有缺口的县。" in notes


def test_coordinator_export_is_limited_to_the_area(client, login, org_world, read_workbook, as_dicts):
    login("coordinator", scope_code="51")
    sheets = read_workbook(client.get("/coverage/export.xlsx").data)
    provinces = {row["省份"] for row in as_dicts(sheets["重点帮扶县覆盖"])}
    assert provinces == {"四川省"}
    assert as_dicts(sheets["分省汇总"])[-1]["已标记重点帮扶县"] == 25


def test_coverage_runs_a_fixed_number_of_queries(app, org_world):
    """Set-based: the same few grouped queries whether 1 or 100 counties are flagged."""
    from trainhub.accounts.models import Role, User
    from trainhub.reports.queries import coverage

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        office = User(username="x", display_name="x", role=Role.OFFICE)
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            report = coverage(office)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert report.totals.flagged == 100
    assert len(statements) <= 5


# API -------------------------------------------------------------------------------------------


def test_api_coverage_for_the_office(client, api_headers, org_world):
    response = client.get("/api/v1/coverage", headers=api_headers("office"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["summary"] == OFFICE_SUMMARY
    assert body["totals"] == {"flagged": 100, "with_organisations": 3, "with_pairings": 1,
                              "with_learners": 2, "complete": 1}
    assert body["national_flagged"] == 100 and body["expected"] == 160
    assert body["whole_programme"] is True and body["gaps_only"] is False
    guizhou = next(p for p in body["provinces"] if p["province_code"] == "52")
    assert guizhou["totals"]["flagged"] == 20 and len(guizhou["counties"]) == 20
    shuicheng = next(c for c in guizhou["counties"] if c["code"] == "520204")
    assert shuicheng == {
        "code": "520204", "name": "水城区", "prefecture": "六盘水市",
        "organisations": {"agency": 1, "station": 1, "supporter": 0}, "organisations_total": 2,
        "pairings": 1, "learners": 3, "gaps": [],
    }


def test_api_coverage_filters_and_scope(client, api_headers, org_world):
    office = api_headers("office")
    body = client.get("/api/v1/coverage?province=四川&gaps=true", headers=office).get_json()
    assert [p["province"] for p in body["provinces"]] == ["四川省"]
    assert body["totals"]["flagged"] == 25 and body["whole_programme"] is False
    zhaojue = next(c for c in body["provinces"][0]["counties"] if c["code"] == "513431")
    assert zhaojue["gaps"] == ["无结对"]

    coordinator = api_headers("coordinator", scope_code="520324")
    body = client.get("/api/v1/coverage", headers=coordinator).get_json()
    assert body["totals"] == {"flagged": 1, "with_organisations": 1, "with_pairings": 0,
                              "with_learners": 0, "complete": 0}
    # a province outside the area is refused in words, not answered with its figures
    response = client.get("/api/v1/coverage?province=51", headers=coordinator)
    assert response.status_code == 422 and "province" in response.get_json()["errors"]


@pytest.mark.parametrize(("query", "field"), [("province=火星", "province"), ("gaps=maybe", "gaps")])
def test_api_coverage_bad_filters(client, api_headers, org_world, query, field):
    response = client.get(f"/api/v1/coverage?{query}", headers=api_headers("office"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_api_coverage_is_for_office_and_coordinators(client, api_headers, org_world):
    assert client.get("/api/v1/coverage").status_code == 401
    for role in ("trainee", "instructor", "certifier"):
        assert client.get("/api/v1/coverage", headers=api_headers(role)).status_code == 403
