"""``trainhub learners activation-links`` and ``trainhub learners export``."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from trainhub.accounts.models import ActivationLink, User
from trainhub.extensions import db


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def link_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ActivationLink))


def test_links_for_a_county_written_to_csv(app, runner, world, tmp_path):
    output = tmp_path / "links.csv"
    result = runner.invoke(args=["learners", "activation-links", "--county", "520204",
                                 "--base-url", "https://px.example.org", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "已为 1 名学员生成激活链接" in result.output
    rows = read_csv(output)
    assert [row["姓名"] for row in rows] == ["张明"]
    row = rows[0]
    assert row["用户名"] == world.zhang.username and row["所在机构"] == "水城区阳光社会工作服务中心"
    assert row["激活链接"].startswith("https://px.example.org/activate/")
    assert world.zhang.id_number not in output.read_text(encoding="utf-8-sig")
    assert link_count(app) == 1


def test_a_printed_link_works_on_the_site(app, runner, world, tmp_path):
    output = tmp_path / "links.csv"
    runner.invoke(args=["learners", "activation-links", "--organisation", str(world.zhengan),
                        "--base-url", "https://px.example.org", "--output", str(output)])
    path = read_csv(output)[0]["激活链接"].removeprefix("https://px.example.org")
    client = app.test_client()
    assert client.get(path).status_code == 200
    response = client.post(path, data={"new_password": "Wode-mima-2023", "confirm_password": "Wode-mima-2023"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.li.username))
        assert user.password_hash is not None and not user.must_change_password


def test_activated_learners_are_left_out(app, runner, world, tmp_path):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == world.zhang.username))
        user.set_password("Wode-mima-2023")
        user.must_change_password = False
        db.session.commit()
    output = tmp_path / "links.csv"
    result = runner.invoke(args=["learners", "activation-links", "--province", "贵州",
                                 "--base-url", "https://px.example.org", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert [row["姓名"] for row in read_csv(output)] == ["李芳"]


def test_links_to_standard_output(runner, world):
    result = runner.invoke(args=["learners", "activation-links", "--base-url", "http://127.0.0.1:5000"])
    assert result.exit_code == 0, result.output
    assert result.output.count("http://127.0.0.1:5000/activate/") == 3


def test_nothing_to_do(runner, world, tmp_path):
    result = runner.invoke(args=["learners", "activation-links", "--county", "110101",
                                 "--base-url", "https://px.example.org"])
    assert result.exit_code == 0
    assert "没有需要激活链接的学员" in result.output


def test_bad_options_are_explained_and_change_nothing(app, runner, world, tmp_path):
    cases = [
        (["--county", "5202"], "县级代码应为 6 位数字"),
        (["--organisation", "999"], "机构 999 不存在"),
        (["--province", "火星"], "未知的省份"),
        (["--base-url", "px.example.org"], "应为完整的网址"),
        ([], "请用 --base-url 指定"),
        (["--days", "0"], "--days"),
    ]
    for options, message in cases:
        args = ["learners", "activation-links", *options]
        if "--base-url" not in options and options:
            args += ["--base-url", "https://px.example.org"]
        result = runner.invoke(args=args)
        assert result.exit_code != 0, options
        assert message in result.output, (options, result.output)
    assert link_count(app) == 0


def test_public_url_serves_as_base_url(make_app, world):
    other = make_app(PUBLIC_URL="https://px.example.org")
    result = other.test_cli_runner().invoke(args=["learners", "activation-links", "--county", "513431"])
    assert result.exit_code == 0, result.output
    assert "https://px.example.org/activate/" in result.output


def test_export(runner, world, tmp_path):
    output = tmp_path / "learners.xlsx"
    result = runner.invoke(args=["learners", "export", "--province", "52", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "已导出 2 名学员" in result.output
    workbook = load_workbook(io.BytesIO(output.read_bytes()), read_only=True)
    rows = list(workbook["学员"].iter_rows(values_only=True))
    workbook.close()
    assert sorted(row[0] for row in rows[1:]) == ["张明", "李芳"]
    for person in world.people:
        assert person.id_number not in repr(rows) and person.phone not in repr(rows)
