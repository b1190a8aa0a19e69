"""Creating a programme (the office: web and API), what it refuses, its audit entry, the
programme resource of the API, and a programme page that holds several programmes."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from catalogue_world import audit_actions, row

from trainhub.courses import phases
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.models import Programme
from trainhub.extensions import db

PROBLEM = "application/problem+json"
SECOND = {"name": "牵手计划系列培训（2026—2028）", "starts_on": "2026-01-01", "ends_on": "2028-12-31"}


@pytest.fixture
def first(app, world) -> int:
    """The programme ``trainhub init`` ensures (牵手计划系列培训, 2023–2025)."""
    with app.app_context():
        return db.session.scalar(sa.select(Programme.id))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _programme_named(app, name: str) -> Programme | None:
    with app.app_context():
        item = db.session.scalar(sa.select(Programme).where(Programme.name == name))
        if item is not None:
            db.session.expunge(item)
        return item


# web -----------------------------------------------------------------------------------------


def test_office_creates_a_programme_from_the_programme_page(app, client, login, world, first):
    login("office")
    assert "/programmes/new" in _text(client.get("/programme"))
    form = client.get("/programmes/new")
    assert form.status_code == 200 and "新建项目" in _text(form)
    response = client.post("/programmes/new", data=SECOND)
    assert response.status_code == 302
    created = _programme_named(app, SECOND["name"])
    assert (created.starts_on, created.ends_on, created.archived_at) == (date(2026, 1, 1), date(2028, 12, 31), None)
    assert response.headers["Location"].endswith(f"/programme#programme-{created.id}")
    page = _text(client.get(response.headers["Location"]))
    assert f"已新建项目“{SECOND['name']}”" in page
    assert f"/programmes/{created.id}/phases/new" in page
    assert [(action, target, detail) for action, target, detail in audit_actions(app, "programme.")] == [
        ("programme.create", str(created.id),
         {"name": SECOND["name"], "starts_on": "2026-01-01", "ends_on": "2028-12-31"})]


def test_readers_do_not_create_programmes(client, login, world, first):
    login("coordinator")
    assert "/programmes/new" not in _text(client.get("/programme"))
    assert client.get("/programmes/new").status_code == 403
    assert client.post("/programmes/new", data=SECOND).status_code == 403


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"name": "  "}, 422, "请填写项目名称。"),
    ({"name": "牵手计划系列培训"}, 409, "已有名为“牵手计划系列培训”的项目。"),
    ({"starts_on": "2028-12-31", "ends_on": "2026-01-01"}, 422, "项目结束日期应晚于开始日期（2028-12-31）。"),
    ({"starts_on": "2026-02-30"}, 422, "日期无效，请按 2023-03-01 的格式填写。"),
    ({"ends_on": ""}, 422, "请填写项目结束日期。"),
    ({"name": "项" * 101}, 422, "项目名称最多 100 个字。"),
])
def test_programme_form_refuses_bad_input(client, login, world, first, database_rows, data, status, message):
    login("office")
    before = database_rows()
    response = client.post("/programmes/new", data={**SECOND, **data})
    assert response.status_code == status
    assert message in _text(response)
    assert database_rows() == before


def test_the_page_shows_each_programme_with_its_phases(app, client, login, world, first):
    with app.app_context():
        second = phases.create_programme(actor=None, name=SECOND["name"], starts_on=date(2026, 1, 1),
                                         ends_on=date(2028, 12, 31))
        phases.create_phase(second, actor=None, name="第一期", starts_on=date(2026, 3, 1), ends_on=date(2026, 8, 31))
        archived = phases.create_programme(actor=None, name="试点项目", starts_on=date(2022, 1, 1),
                                           ends_on=date(2022, 12, 31))
        phases.archive_programme(archived, actor=None)
        second_id, archived_id = second.id, archived.id
        db.session.commit()
    login("office")
    page = _text(client.get("/programme?archived=y"))
    assert page.index(f'id="programme-{archived_id}"') < page.index(f'id="programme-{first}"')
    assert "试点项目" in page.split(f'id="programme-{archived_id}"')[1].split("</section>")[0]
    client.post("/logout")
    login("coordinator")
    page = _text(client.get("/programme"))
    sections = page.split('<section class="mb-4 programme"')[1:]
    assert [section.split(">", 1)[0] for section in sections] == [
        f' id="programme-{first}"', f' id="programme-{second_id}"']  # by start date, the archived one left out
    assert "第一阶段" in sections[0] and "第一期" not in sections[0]
    assert "第一期" in sections[1] and "2026-03-01 至 2026-08-31" in sections[1]
    assert "试点项目" not in _text(client.get("/programme?archived=y"))  # only the office sees archived ones


# operation -----------------------------------------------------------------------------------


def test_every_mistake_is_named_at_once_and_only_the_office_creates(app, world, first, make_user):
    with app.app_context():
        with pytest.raises(CatalogueError) as refused:
            phases.create_programme(actor=None, name="", starts_on="2026-13-01", ends_on=None)
        assert refused.value.errors == {"name": "请填写项目名称。",
                                        "starts_on": "项目开始日期无效，请按 2023-03-01 的格式填写。",
                                        "ends_on": "请填写项目结束日期。"}
        with pytest.raises(CatalogueError) as refused:
            phases.create_programme(actor=make_user("instructor"), **SECOND)
        assert refused.value.errors == {"actor": "只有项目办可以维护项目、阶段、课程模块、课程和场地。"}


def test_a_name_taken_by_an_archived_programme_stays_taken(app, world, first):
    with app.app_context():
        phases.archive_programme(db.session.get(Programme, first), actor=None)
        with pytest.raises(CatalogueError) as refused:
            phases.create_programme(actor=None, name="牵手计划系列培训", starts_on=date(2026, 1, 1),
                                    ends_on=date(2026, 12, 31))
        assert refused.value.status == 409


# API -----------------------------------------------------------------------------------------


def _errors(response) -> dict:
    assert response.mimetype == PROBLEM, _text(response)
    return response.get_json()["errors"]


def test_programmes_are_read_with_their_phases(client, api_headers, world, first):
    response = client.get("/api/v1/programmes", headers=api_headers("instructor"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    (programme,) = body["items"]
    assert (programme["id"], programme["name"], programme["starts_on"], programme["ends_on"]) == (
        first, "牵手计划系列培训", "2023-01-01", "2025-12-31")
    assert [(p["number"], p["name"]) for p in programme["phases"]] == [(1, "第一阶段")]
    assert [t["name"] for t in programme["phases"][0]["tracks"]] == ["社工机构管理运营", "乡镇（街道）社工站建设"]
    assert client.get(f"/api/v1/programmes/{first}", headers=api_headers("certifier")).get_json() == programme
    assert client.get("/api/v1/programmes", headers=api_headers("trainee")).status_code == 403
    assert client.get("/api/v1/programmes/999", headers=api_headers("office")).status_code == 404


def test_office_creates_updates_archives_and_restores_a_programme(app, client, api_headers, world, first):
    headers = api_headers("office")
    response = client.post("/api/v1/programmes", headers=headers, json=SECOND)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (created["name"], created["phases"], created["archived"]) == (SECOND["name"], [], False)
    assert response.headers["Location"].endswith(f"/api/v1/programmes/{created['id']}")
    # a phase goes into it when named; with two programmes in use, it must be named
    phase = {"name": "第一期", "starts_on": "2026-03-01", "ends_on": "2026-08-31"}
    response = client.post("/api/v1/phases", headers=headers, json=phase)
    assert response.status_code == 422 and _errors(response) == {"programme_id": ["请用 programme_id 指明项目。"]}
    response = client.post("/api/v1/phases", headers=headers, json={"programme_id": created["id"], **phase})
    assert response.status_code == 201 and response.get_json()["number"] == 1
    response = client.patch(f"/api/v1/programmes/{created['id']}", headers=headers, json={"ends_on": "2029-06-30"})
    assert response.status_code == 200 and response.get_json()["ends_on"] == "2029-06-30"
    response = client.patch(f"/api/v1/programmes/{created['id']}", headers=headers, json={"starts_on": "2026-04-01"})
    assert response.status_code == 422
    assert _errors(response) == {"starts_on": ["新的项目时间会使以下阶段落在项目时间之外：第一期（2026-03-01 至 2026-08-31）。"
                                               "请先调整这些阶段的时间。"]}
    response = client.post(f"/api/v1/programmes/{created['id']}/archive", headers=headers)
    assert response.status_code == 200 and response.get_json()["archived"] is True
    listed = client.get("/api/v1/programmes", headers=headers).get_json()
    assert [p["id"] for p in listed["items"]] == [first]
    listed = client.get("/api/v1/programmes?archived=true", headers=headers).get_json()
    assert [p["id"] for p in listed["items"]] == [first, created["id"]]
    response = client.post(f"/api/v1/programmes/{created['id']}/restore", headers=headers)
    assert response.status_code == 200 and response.get_json()["archived"] is False
    assert row(app, Programme, created["id"]).archived_at is None
    assert [a for a, *_ in audit_actions(app, "programme.")] == [
        "programme.create", "programme.update", "programme.archive", "programme.restore"]


@pytest.mark.parametrize(("body", "status", "errors"), [
    ({**SECOND, "name": " "}, 422, {"name": ["请填写项目名称。"]}),
    ({**SECOND, "name": "牵手计划系列培训"}, 409, {"name": ["已有名为“牵手计划系列培训”的项目。"]}),
    ({**SECOND, "ends_on": "2025-12-31"}, 422, {"ends_on": ["项目结束日期应晚于开始日期（2026-01-01）。"]}),
    ({**SECOND, "starts_on": "2026-02-30"}, 422, {"starts_on": ["应为日期，格式如 2023-03-01。"]}),
    ({"name": SECOND["name"], "starts_on": "2026-01-01"}, 422, {"ends_on": ["必须填写此字段。"]}),
    ({**SECOND, "phases": []}, 422, {"phases": ["未知字段。"]}),
])
def test_programme_refusals_name_the_field(client, api_headers, world, first, database_rows, body, status, errors):
    headers = api_headers("office")
    before = database_rows()
    response = client.post("/api/v1/programmes", headers=headers, json=body)
    assert response.status_code == status
    assert _errors(response) == errors
    assert database_rows() == before


def test_readers_cannot_write_programmes(client, api_headers, world, first):
    response = client.post("/api/v1/programmes", headers=api_headers("coordinator"), json=SECOND)
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert client.patch(f"/api/v1/programmes/{first}", json={"name": "改名"}).status_code == 401
    assert client.post("/api/v1/programmes/999/archive", headers=api_headers("office")).status_code == 404
