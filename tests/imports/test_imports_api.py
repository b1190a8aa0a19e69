"""``POST /api/v1/imports/learners``: dry run, commit, valid rows only, refusals, scope."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from import_rosters import (
    BAD_ROWS,
    GANLUO,
    GOOD_ROWS,
    bad_roster_rows,
    gbk_csv_file,
    make_id,
    person,
    xlsx_file,
)

from trainhub.extensions import db
from trainhub.learners.models import Learner

URL = "/api/v1/imports/learners"
PROBLEM = "application/problem+json"


def _post(client, headers, data: bytes, filename: str = "名单.xlsx", **fields):
    form = {"file": (io.BytesIO(data), filename), **fields}
    return client.post(URL, data=form, headers=headers, content_type="multipart/form-data")


def _learner_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Learner))


def _good_rows() -> list[list]:
    rows = bad_roster_rows()
    return [rows[number - 2] for number in GOOD_ROWS]


def test_a_dry_run_by_default_lists_every_problem(app, client, api_headers, organisation):
    response = _post(client, api_headers("office"), gbk_csv_file(bad_roster_rows()), "名单.csv")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is True and body["committed"] is False
    assert body["counts"] == {"rows": 13, "new": 4, "updated": 0, "unchanged": 0, "rejected": 9,
                              "organisations": 1}
    assert sorted({p["row"] for p in body["problems"]}) == list(BAD_ROWS)
    by_row = {(p["row"], p["field"]): p for p in body["problems"]}
    assert by_row[(4, "id_number")]["column"] == "身份证号码" and "校验位" in by_row[(4, "id_number")]["message"]
    assert "Excel" in by_row[(10, "id_number")]["message"]
    assert by_row[(8, "phone")]["column"] == "手机号码"
    assert by_row[(5, "county")]["message"].startswith("未找到县（区）")
    assert body["organisations_to_create"][0]["kind"] == "station"
    assert body["ignored_columns"] == ["序号", "备注"]
    assert make_id(seq=1) not in response.get_data(as_text=True)
    assert _learner_count(app) == 0


def test_commit_is_all_or_nothing(app, client, api_headers, organisation):
    response = _post(client, api_headers("office"), xlsx_file(bad_roster_rows()), dry_run="false")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert "未导入任何数据" in body["detail"] and body["errors"]["file"]
    assert len(body["problems"]) == 9 and body["counts"]["rejected"] == 9
    assert _learner_count(app) == 0


def test_valid_rows_only_returns_the_rejected_rows(app, client, api_headers, organisation):
    headers = api_headers("office")
    response = _post(client, headers, xlsx_file(bad_roster_rows()), dry_run="false", valid_only="true")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["committed"] is True and body["counts"]["new"] == 4
    assert _learner_count(app) == 4

    sheet = client.get(body["rejected_rows_url"], headers=headers)
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明" and [row[-2] for row in rows[1:]] == list(BAD_ROWS)

    # nobody else can fetch it
    assert client.get(body["rejected_rows_url"], headers=api_headers("office")).status_code == 404

    # the same file again: nothing new, nothing updated
    again = _post(client, headers, xlsx_file(_good_rows()), dry_run="false").get_json()
    assert again["counts"] == {"rows": 4, "new": 0, "updated": 0, "unchanged": 4, "rejected": 0,
                               "organisations": 0}
    assert again["rejected_rows_url"] is None


def test_updates_are_listed_with_their_fields(client, api_headers, organisation):
    headers = api_headers("office")
    rows = _good_rows()
    assert _post(client, headers, xlsx_file(rows), dry_run="false").status_code == 200
    rows[0][3] = "13900139000"
    body = _post(client, headers, xlsx_file(rows)).get_json()
    assert body["updates"] == [{"row": 2, "name": "张晓明", "fields": ["phone"]}]
    assert body["counts"]["updated"] == 1


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("名单.xlsx", b"PK\x03\x04broken", "已损坏"),
        ("名单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "密码"),
        ("名单.txt.exe", b"MZ", "只接受"),
        ("名单.csv", "姓名,手机\n张三,13800138000\n".encode("gbk"), "缺少必需的列"),
    ],
)
def test_a_bad_file_is_a_problem_document(client, api_headers, counties, filename, data, message):
    response = _post(client, api_headers("office"), data, filename)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert message in body["detail"] and body["errors"]["file"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "file"),
        ({"dry_run": "maybe"}, "dry_run"),
        ({"valid_only": "sometimes"}, "valid_only"),
        ({"enrol": "NO-SUCH", "dry_run": "false"}, "enrol"),
        ({"enrol": "NO-SUCH", "dry_run": "false", "valid_only": "true"}, "enrol"),
    ],
    ids=["no-file", "dry-run", "valid-only", "unknown-course", "unknown-course-valid-only"],
)
def test_missing_file_and_bad_options_name_the_field(app, client, api_headers, organisation,
                                                     table_counts, database_rows, fields, field):
    headers = api_headers("office")
    counts, rows = table_counts(), database_rows()
    if field == "file":
        response = client.post(URL, data=fields, headers=headers, content_type="multipart/form-data")
    else:
        response = _post(client, headers, xlsx_file(_good_rows()), **fields)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert list(response.get_json()["errors"]) == [field]
    # nothing written: no learner, organisation, enrolment or audit entry, no kept file
    assert table_counts() == counts and counts["learner"] == 0 and counts["organisation"] == 1
    assert database_rows() == rows
    assert not list((Path(app.instance_path) / "uploads").rglob("*.*"))


def test_limits(app, client, api_headers, counties):
    headers = api_headers("office")
    app.config["IMPORT_MAX_ROWS"] = 2
    response = _post(client, headers, xlsx_file(_good_rows()))
    assert response.status_code == 422 and "2 行数据的上限" in response.get_json()["detail"]
    app.config["MAX_CONTENT_LENGTH"] = 500
    response = _post(client, headers, b"x" * 2000, "a.csv")
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_a_coordinator_imports_only_their_area(app, client, api_headers, organisation):
    headers = api_headers("coordinator", scope_code="52")
    rows = [person("张晓明", make_id(seq=1)),
            person("马兰", make_id(GANLUO, seq=2, male=False), org="甘洛县新社工中心", county=GANLUO)]
    body = _post(client, headers, xlsx_file(rows), dry_run="false", valid_only="true").get_json()
    assert body["counts"]["new"] == 1 and body["counts"]["organisations"] == 0
    assert [(p["row"], p["field"]) for p in body["problems"]] == [(3, "county")]
    assert _learner_count(app) == 1


def test_enrol_through_the_api(client, api_headers, organisation, course):
    body = _post(client, api_headers("office"), xlsx_file(_good_rows()), dry_run="false",
                 enrol=course).get_json()
    assert body["course"]["code"] == course and body["course"]["capacity"] == 2
    assert body["enrolment"] == {"enrolled": 2, "waitlisted": 2, "already": 0}


@pytest.mark.parametrize("role", ["instructor", "certifier", "trainee"])
def test_other_roles_are_refused(client, api_headers, counties, role):
    response = _post(client, api_headers(role), xlsx_file(_good_rows()))
    assert response.status_code == 403 and response.mimetype == PROBLEM
