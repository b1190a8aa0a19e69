"""County pages: the list with its coverage header, one county, flagging (office only)."""

from __future__ import annotations

import sqlalchemy as sa

from trainhub.accounts.models import User
from trainhub.accounts.user_sessions import start_session
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.geo.models import County


def test_office_sees_the_list_with_the_coverage_header(client, login, reference_data):
    login("office")
    response = client.get("/counties")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "已标记重点帮扶县 <strong>100</strong> 个（应为 160 个）" in page
    assert "共 2978 个" in page
    assert "贵州省" in page and "<td class=\"text-end\">20</td>" in page  # per-province counts
    assert "下一页" in page


def test_list_filters(client, login, reference_data):
    login("office")
    page = client.get("/counties?province=52&priority=1").get_data(as_text=True)
    assert "共 20 个" in page and "水城区" in page and "东城区" not in page
    page = client.get("/counties?q=水城").get_data(as_text=True)
    assert "共 1 个" in page and "520204" in page
    page = client.get("/counties?q=5202").get_data(as_text=True)
    assert "水城区" in page and "钟山区" in page
    page = client.get("/counties?province=52&page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in page


def test_bad_filters_do_not_break_the_list(client, login, reference_data):
    login("office")
    response = client.get("/counties?province=99&priority=maybe&page=abc")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "共 2978 个" in page
    # said in Chinese, not WTForms' "Not a valid choice."
    assert "请从列表中选择省份。" in page and "请从列表中选择：全部、仅重点帮扶县或非重点帮扶县。" in page
    assert client.get("/counties?page=9999").status_code == 200


def test_coordinator_sees_only_their_area_and_cannot_flag(app, client, login, reference_data):
    login("coordinator", scope_code="52")
    page = client.get("/counties").get_data(as_text=True)
    assert "共 88 个" in page
    assert "东城区" not in page
    assert client.get("/counties/110101").status_code == 404
    detail = client.get("/counties/520204").get_data(as_text=True)
    assert "水城区" in detail and "取消标记" not in detail.split("标记记录")[0]

    response = client.post("/counties/520204/priority", data={"action": "unflag", "source": "x"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(County, "520204").is_priority


def test_county_coordinator_sees_one_county(client, login, reference_data):
    login("coordinator", scope_code="520204")
    assert "共 1 个" in client.get("/counties").get_data(as_text=True)
    assert client.get("/counties/520221").status_code == 404


def test_other_roles_and_visitors_are_kept_out(client, login, reference_data):
    assert client.get("/counties").status_code == 302  # to sign-in
    login("trainee")
    assert client.get("/counties").status_code == 403


def test_county_page_shows_organisations_and_flag_history(client, login, reference_data):
    login("office")
    response = client.get("/counties/520204")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    organisations = page.split('id="organisations-count">')[1].split("</dd>")[0]
    assert "0 个" in organisations and "/organisations?county=520204" in organisations
    assert "0 名" in page.split('id="learners-count">')[1].split("</dd>")[0]
    assert "初始化（已确认名单）" in page and "2021-08-27" in page
    assert client.get("/counties/999999").status_code == 404


def test_office_flags_and_unflags_a_county(app, client, login, reference_data):
    office = login("office")
    response = client.post("/counties/620121/priority",
                           data={"action": "flag", "source": "甘肃省乡村振兴局 2021 年通知"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已将 永登县（620121）标记为国家乡村振兴重点帮扶县" in page
    assert "已标记重点帮扶县 <strong>101</strong> 个" in page
    assert office.display_name in page  # the history names who flagged it

    response = client.post("/counties/620121/priority", data={"action": "unflag", "source": "核实有误"})
    assert response.status_code == 302
    with app.app_context():
        county = db.session.get(County, "620121")
        assert not county.is_priority
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.target_id == "620121").order_by(AuditEntry.id)
        ).all()
        assert actions == ["county.flag_priority", "county.unflag_priority"]
        assert {e.actor_id for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.target_id == "620121"))} == {office.id}


def test_flagging_without_a_source_is_refused(app, client, login, reference_data):
    login("office")
    response = client.post("/counties/620121/priority", data={"action": "flag", "source": "  "})
    assert response.status_code == 400
    assert "请填写标记依据" in response.get_data(as_text=True)
    response = client.post("/counties/620121/priority", data={"action": "flag", "source": "x" * 301})
    assert response.status_code == 400
    assert "最多 300 个字符" in response.get_data(as_text=True)
    response = client.post("/counties/620121/priority", data={"action": "drop", "source": "x"})
    assert response.status_code == 400
    assert "未知的操作" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(County, "620121").is_priority
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.target_id == "620121")
        ) == 0


def test_flagging_twice_changes_nothing(app, client, login, reference_data):
    login("office")
    response = client.post("/counties/520204/priority", data={"action": "flag", "source": "again"},
                           follow_redirects=True)
    assert "已是重点帮扶县，未作更改" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(County, "520204").priority_source != "again"


def test_flag_form_needs_the_csrf_token(app, make_app, reference_data, make_user):
    strict = make_app(WTF_CSRF_ENABLED=True)
    user = make_user("office")
    client = strict.test_client()
    with strict.app_context():  # signed in without the form, which would need the token
        session_id = start_session(db.session.get(User, user.id))
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert client.get("/counties").status_code == 200
    response = client.post("/counties/620121/priority", data={"action": "flag", "source": "x"})
    assert response.status_code == 400
    with app.app_context():
        assert not db.session.get(County, "620121").is_priority
