"""The same import behaviour through the web page, the API and the command line: crafted
files and NUL bytes refused at the first look, the template's example row left out, and a
registration made meanwhile refused with nothing written (issue 6, sections 5, 9 and 10)."""

from __future__ import annotations

import io
import re
import tracemalloc
from datetime import date, timedelta

import crafted_workbooks
import pytest
import sqlalchemy as sa
from import_rosters import (
    EXISTING_ORG,
    NEW_STATION,
    bad_roster_rows,
    csv_file,
    make_id,
    person,
    xlsx_file,
)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from trainhub.accounts.models import Role
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.imports import api, cli, views
from trainhub.imports.plan import RowAction
from trainhub.imports.workbooks import template_workbook
from trainhub.learners.models import Learner
from trainhub.learners.operations import create_learner
from trainhub.orgs.models import Organisation

API = "/api/v1/imports/learners"
GOOD_ROWS = [bad_roster_rows()[index] for index in (0, 1, 10, 12)]  # rows 2, 3, 12 and 14


def _multipart(data: bytes, filename: str, fields: dict) -> dict:
    """The request body encoded in memory (the test client spools a large one to a temporary
    file it never closes)."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=filename), **fields})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def _upload(client, data: bytes, filename: str = "名单.xlsx", **fields):
    return client.post("/imports/new", **_multipart(data, filename, fields))


def _post(client, headers, data: bytes, filename: str = "名单.xlsx", **fields):
    return client.post(API, headers=headers, **_multipart(data, filename, fields))


def _token(page: str) -> str:
    return re.search(r'action="/imports/([\w-]+)/confirm"', page).group(1)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _nul_csv() -> bytes:
    """60 valid learners; a NUL byte in a position cell far past the first 4 KiB."""
    rows = [person(f"学员{chr(0x4E00 + n)}", make_id(born=date(1990, 1, 1) + timedelta(days=n)),
                   f"138{n:08d}") for n in range(60)]
    rows[50][7] = "项目\x00社工"
    data = csv_file(rows, encoding="utf-8")
    assert data.index(b"\x00") > 4096
    return data


def _far_column_roster() -> bytes:
    rows = [[f"张{chr(0x4E00 + n)}", make_id(born=date(1980, 1, 1) + timedelta(days=n)), f"139{n:08d}",
             EXISTING_ORG, "威宁彝族回族苗族自治县"] for n in range(800)]
    return crafted_workbooks.far_column_roster(rows)


# files that stalled a worker, and a NUL byte -------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (crafted_workbooks.far_corner(), "空行也计入行数上限"),
    (crafted_workbooks.blank_rows(), "空行也计入行数上限"),
])
def test_the_web_upload_refuses_crafted_workbooks_on_the_form(app, client, login, organisation, data, message):
    login(Role.OFFICE)
    response = _upload(client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(app, Learner) == 0


def test_the_api_reads_a_roster_with_cells_in_column_xfd_quickly_and_in_bounded_memory(
        client, api_headers, organisation):
    headers = api_headers("office")
    tracemalloc.start()
    try:
        response = _post(client, headers, _far_column_roster())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["counts"]["new"] == 800
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_the_cli_refuses_a_million_blank_rows(app, runner, organisation, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(crafted_workbooks.blank_rows())
    result = runner.invoke(args=["import", "learners", str(path)])
    assert result.exit_code == 1
    assert "错误：" in result.output and "空行也计入行数上限" in result.output
    assert _count(app, Learner) == 0


def test_a_nul_byte_is_refused_at_the_first_look_everywhere(app, client, login, api_headers, runner,
                                                            organisation, tmp_path):
    data = _nul_csv()
    message = "第 52 行含有空字符（NUL）"

    login(Role.OFFICE)
    response = _upload(client, data, "名单.csv")
    assert response.status_code == 422 and message in response.get_data(as_text=True)

    response = _post(client, api_headers("office"), data, "名单.csv")
    assert response.status_code == 422
    assert message in response.get_json()["detail"] and response.get_json()["errors"]["file"]

    path = tmp_path / "名单.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["import", "learners", str(path)])
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert _count(app, Learner) == 0


# the template's example row ------------------------------------------------------------------


def _template_with_learner(app) -> bytes:
    """The template as downloaded, its example row still in row 2, one learner below."""
    import openpyxl

    with app.app_context():
        workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    sheet = workbook["学员名单"]
    values = {"A": "李娜", "B": make_id(seq=2, male=False), "C": "13800138002", "F": EXISTING_ORG,
              "G": "威宁彝族回族苗族自治县"}
    for column, value in values.items():
        sheet[f"{column}3"] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_example_row_is_left_out_on_the_web(app, client, login, organisation):
    login(Role.OFFICE)
    response = _upload(client, _template_with_learner(app), "模板.xlsx")
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 2 行是导入模板中的示例（张晓明），已跳过，不会导入。" in preview
    assert 'data-count="new">1<' in preview
    response = client.post(f"/imports/{_token(preview)}/confirm", data={})
    assert response.status_code == 302
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 2 行是导入模板中的示例（张晓明），已跳过" in result
    with app.app_context():
        assert list(db.session.scalars(sa.select(Learner.name))) == ["李娜"]


def test_the_example_row_is_left_out_by_the_api_and_the_cli(app, client, api_headers, runner, organisation,
                                                            tmp_path):
    data = _template_with_learner(app)
    body = _post(client, api_headers("office"), data, "模板.xlsx").get_json()
    assert body["example_rows"] == [2] and body["counts"]["new"] == 1
    assert body["notes"] == ["第 2 行是导入模板中的示例（张晓明），已跳过，不会导入。"]

    path = tmp_path / "模板.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["import", "learners", str(path)])
    assert result.exit_code == 0, result.output
    assert "第 2 行是导入模板中的示例（张晓明），已跳过" in result.output and "已新增 1 名" in result.output
    with app.app_context():
        assert list(db.session.scalars(sa.select(Learner.name))) == ["李娜"]


# a registration made between the check and the write -----------------------------------------


@pytest.fixture
def registered_meanwhile(make_app, monkeypatch):
    """``registered_meanwhile(module)``: right after that entry point's next dry run, another
    process registers the first new learner of the file (at an existing organisation)."""
    other = make_app()

    def patch(module):
        original = module.plan_import
        done: list[int] = []

        def planning(*args, **kwargs):
            plan = original(*args, **kwargs)
            if not done:
                row = next(r for r in plan.of(RowAction.CREATE) if r.organisation is not None)
                with other.app_context():
                    create_learner(row.fields, db.session.get(Organisation, row.organisation.id),
                                   actor=None)
                    db.session.commit()
                done.append(row.row)
            return plan

        monkeypatch.setattr(module, "plan_import", planning)

    return patch


def _nothing_imported(app) -> None:
    assert _count(app, Learner) == 1  # the other process's learner only
    with app.app_context():
        assert db.session.scalar(sa.select(Organisation).where(Organisation.name == NEW_STATION)) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "import.learners")) == 0


def test_the_web_confirm_answers_409_with_the_latest_preview(app, client, login, organisation,
                                                            registered_meanwhile):
    login(Role.OFFICE)
    page = client.get(_upload(client, xlsx_file(GOOD_ROWS)).headers["Location"]).get_data(as_text=True)
    registered_meanwhile(views)
    response = client.post(f"/imports/{_token(page)}/confirm", data={})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "导入期间数据已被他人修改，未导入任何数据" in page
    assert 'data-count="new">3<' in page and 'data-count="unchanged">1<' in page  # checked again
    _nothing_imported(app)


def test_the_api_answers_409_and_writes_nothing(app, client, api_headers, organisation, registered_meanwhile):
    headers = api_headers("office")
    registered_meanwhile(api)
    response = _post(client, headers, xlsx_file(GOOD_ROWS), dry_run="false")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "未导入任何数据" in response.get_json()["detail"]
    _nothing_imported(app)


def test_the_cli_exits_1_and_writes_nothing(app, runner, organisation, registered_meanwhile, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx_file(GOOD_ROWS))
    registered_meanwhile(cli)
    result = runner.invoke(args=["import", "learners", str(path)])
    assert result.exit_code == 1
    assert "错误：导入期间数据已被他人修改，未导入任何数据" in result.output
    _nothing_imported(app)
