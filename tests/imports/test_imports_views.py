"""The import pages: upload → preview → confirm → result, the template, refusals."""

from __future__ import annotations

import io
import re
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

from trainhub.accounts.models import Role
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.learners.models import Learner


def _upload(client, data: bytes, filename: str = "名单.xlsx", **fields):
    form = {"file": (io.BytesIO(data), filename), **fields}
    return client.post("/imports/new", data=form, content_type="multipart/form-data",
                       follow_redirects=True)


def _token(page: str) -> str:
    return re.search(r'action="/imports/([\w-]+)/confirm"', page).group(1)


def _learners(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Learner.name)))


def test_the_upload_page_offers_the_template(client, login, counties):
    login(Role.OFFICE)
    page = client.get("/imports/new").get_data(as_text=True)
    assert "批量导入学员" in page and 'href="/imports/template.xlsx"' in page
    assert "只导入无误的行" in page and "身份证号码" in page

    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["学员名单", "填写说明"]


def test_upload_preview_and_confirm_all_or_nothing(app, client, login, organisation):
    login(Role.OFFICE)
    response = _upload(client, xlsx_file(bad_roster_rows()))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "导入预览：名单.xlsx" in page
    assert 'data-count="new">4<' in page and 'data-count="rejected">9<' in page
    assert "校验位" in page and "未找到县（区）“不存在县”" in page and "身份证号被 Excel 存成了数字" in page
    assert "威宁县龙场镇社会工作服务站" in page  # to be created
    assert "未能识别，导入时忽略：序号、备注" in page
    assert make_id(seq=1) not in page  # no ID number on the page
    token = _token(page)

    # all or nothing: refused, the preview again with the reason
    response = client.post(f"/imports/{token}/confirm", data={})
    assert response.status_code == 422
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert _learners(app) == []

    # the valid rows only
    response = client.post(f"/imports/{token}/confirm", data={"valid_only": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/imports/{token}/result")
    assert _learners(app) == sorted(["张晓明", "李娜", "冯雪", "陈红"])
    result = client.get(f"/imports/{token}/result").get_data(as_text=True)
    assert "导入完成" in result and 'data-count="new">4<' in result
    assert f"/imports/{token}/rejected.xlsx" in result

    rejected = client.get(f"/imports/{token}/rejected.xlsx")
    assert rejected.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(rejected.data)).active.iter_rows(values_only=True))
    assert [row[-2] for row in rows[1:]] == list(BAD_ROWS)

    # confirming again does not import twice
    again = client.post(f"/imports/{token}/confirm", data={"valid_only": "y"})
    assert again.status_code == 302
    assert len(_learners(app)) == len(GOOD_ROWS)
    with app.app_context():
        entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "import.learners")))
        assert len(entries) == 1 and entries[0].detail["file"] == "名单.xlsx"
        assert entries[0].detail["via"] == "web" and entries[0].actor_id is not None


def test_a_gbk_csv_through_the_web(app, client, login, organisation):
    login(Role.OFFICE)
    rows = bad_roster_rows()
    good = [rows[number - 2] for number in GOOD_ROWS]
    response = _upload(client, gbk_csv_file(good), "名单.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "CSV 编码：gbk" in page
    response = client.post(f"/imports/{_token(page)}/confirm", data={})
    assert response.status_code == 302
    assert len(_learners(app)) == 4


def test_the_upload_redirects_to_its_preview_and_expires(app, client, login, organisation):
    from datetime import timedelta

    from trainhub import uploads as storage
    from trainhub.db import utcnow

    login(Role.OFFICE)
    form = {"file": (io.BytesIO(xlsx_file([person("张晓明", make_id(seq=1))])), "名单.xlsx")}
    response = client.post("/imports/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    preview = response.headers["Location"]
    assert client.get(preview).status_code == 200

    folder = Path(app.instance_path) / "uploads" / "imports"
    with app.app_context():
        assert storage.clean_expired(utcnow() + timedelta(hours=23)) == 0
        assert storage.clean_expired(utcnow() + storage.MAX_AGE + timedelta(minutes=1)) == 1
    assert list(folder.glob("*")) == []
    assert client.get(preview).status_code == 404


def test_the_upload_is_kept_on_the_server_for_its_owner_only(app, client, login, make_user, organisation):
    login(Role.OFFICE)
    page = _upload(client, xlsx_file([person("张晓明", make_id(seq=1))])).get_data(as_text=True)
    token = _token(page)
    assert client.get(f"/imports/{token}").status_code == 200

    stored = list((Path(app.instance_path) / "uploads" / "imports").glob("*"))
    assert stored and all("张晓明".encode() not in path.read_bytes() for path in stored)  # encrypted

    other = make_user(Role.OFFICE, username="other-office")
    client.post("/logout")
    client.post("/login", data={"username": other.username, "password": "Xunlian-2023"})
    assert client.get(f"/imports/{token}").status_code == 404
    assert client.post(f"/imports/{token}/confirm", data={}).status_code == 404
    assert client.get("/imports/not-a-token").status_code == 404
    assert _learners(app) == []


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("名单.pdf", b"%PDF-1.4", "只接受 .xlsx 或 .csv 文件"),
        ("名单.xlsx", b"PK\x03\x04broken", "已损坏"),
        ("名单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "密码"),
        ("名单.csv", "姓名,手机\n张三,13800138000\n".encode(), "缺少必需的列"),
    ],
)
def test_bad_files_are_refused_on_the_form(app, client, login, counties, filename, data, message):
    login(Role.OFFICE)
    response = _upload(client, data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert not list((Path(app.instance_path) / "uploads" / "imports").glob("*.json"))


def test_no_file_and_limits(app, client, login, counties):
    login(Role.OFFICE)
    response = client.post("/imports/new", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "请选择要导入的" in response.get_data(as_text=True)

    app.config["IMPORT_MAX_BYTES"] = 1000
    response = _upload(client, b"x" * 1500, "名单.csv")
    assert response.status_code == 422 and "文件过大" in response.get_data(as_text=True)

    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = _upload(client, b"x" * 5000, "名单.csv")
    assert response.status_code == 413 and "过大" in response.get_data(as_text=True)


def test_a_coordinator_sees_rows_outside_their_area_refused(app, client, login, organisation):
    login(Role.COORDINATOR, scope_code="52")
    rows = [person("张晓明", make_id(seq=1)),
            person("马兰", make_id(GANLUO, seq=2, male=False), org="甘洛县新社工中心", county="甘洛县")]
    page = _upload(client, xlsx_file(rows)).get_data(as_text=True)
    assert "不在您的负责区域内" in page and "甘洛县新社工中心" not in page.split("将新建的机构")[-1]
    response = client.post(f"/imports/{_token(page)}/confirm", data={"valid_only": "y"})
    assert response.status_code == 302
    assert _learners(app) == ["张晓明"]


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.CERTIFIER, Role.TRAINEE])
def test_other_roles_cannot_import(client, login, role):
    login(role)
    assert client.get("/imports/new").status_code == 403
    assert client.get("/imports/template.xlsx").status_code == 403


def test_enrol_through_the_web(app, client, login, organisation, course):
    login(Role.OFFICE)
    rows = bad_roster_rows()
    good = [rows[number - 2] for number in GOOD_ROWS]
    page = _upload(client, xlsx_file(good), enrol=course).get_data(as_text=True)
    assert "同时报名课程" in page and "P1-TEST-01" in page
    response = client.post(f"/imports/{_token(page)}/confirm", data={})
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "新报名 2 人，进入候补名单 2 人" in result

    response = _upload(client, xlsx_file(good), enrol="NO-SUCH")
    assert response.status_code == 422 and "请从列表中选择课程" in response.get_data(as_text=True)
