"""Command-line commands of this feature: ``trainhub counties …``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from trainhub.extensions import db
from trainhub.geo import queries
from trainhub.geo.files import CODE_RE, CountyError, read_codes
from trainhub.geo.operations import EXPECTED_PRIORITY_COUNT, load_code_list, set_priority
from trainhub.refusals import CommandError

counties_group = AppGroup("counties", help="县级行政区划与国家乡村振兴重点帮扶县。")


def _codes_from(items: tuple[str, ...]) -> list[str]:
    codes: list[str] = []
    for item in items:
        value = item.strip()
        if CODE_RE.fullmatch(value):
            codes.append(value)
            continue
        path = Path(value)
        if not path.is_file():
            raise CommandError(f"“{item}”既不是 6 位县级代码，也不是存在的文件。")
        try:
            codes.extend(read_codes(path.read_bytes()))
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror or exc}。") from exc
        except CountyError as exc:
            raise CommandError(f"{path}：{exc.message}") from exc
    return codes


@counties_group.command("set-priority")
@click.argument("items", nargs=-1, required=True, metavar="FILE|CODE…")
@click.option("--unflag", is_flag=True, help="取消标记（默认为标记为重点帮扶县）。")
@click.option("--source", default=None,
              help="标记依据（文件、文号或网址；标记时必填），或取消标记的原因。")
def set_priority_command(items: tuple[str, ...], unflag: bool, source: str | None) -> None:
    """标记或取消标记国家乡村振兴重点帮扶县。

    参数为 6 位县级代码，或代码文件：带 code 列的 CSV，或每行一个代码的文本文件。
    任一代码未知时不做任何更改。每项变更都记入审计日志。
    """
    codes = _codes_from(items)
    try:
        result = set_priority(codes, priority=not unflag, source=source, via="cli")
    except CountyError as exc:
        raise CommandError(exc.message) from exc
    verb = "取消标记" if unflag else "标记"
    click.echo(f"已{verb} {len(result.changed)} 个县：" + (
        "、".join(f"{c.code} {c.name}" for c in result.changed) or "无"
    ))
    if result.unchanged:
        state = "本来就未标记" if unflag else "此前已标记"
        click.echo(f"{len(result.unchanged)} 个县{state}，未作更改：{'、'.join(result.unchanged)}")
    click.echo(
        f"现共标记重点帮扶县 {queries.priority_count()} 个（应为 {EXPECTED_PRIORITY_COUNT} 个）。"
    )


@counties_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--version", "version", required=True, help="代码表版本，例如 NBS-2024。")
@click.option("--source", default=None, help="代码表来源（默认为文件名）。")
def load_command(file: Path, version: str, source: str | None) -> None:
    """载入较新的县级行政区划代码表（列：code,county,prefecture,province；UTF-8 或 GBK）。

    新代码新增，名称变化的更新，新表中没有的代码保留并标为非现行（机构和身份证号仍引用它们）。
    文件有误时不做任何更改。
    """
    try:
        summary = load_code_list(file, version, source or f"文件 {file.name}")
    except CountyError as exc:
        raise CommandError(exc.message) from exc
    click.echo(
        f"已载入代码表 {summary.version}：共 {summary.total} 个县级行政区划；新增 {summary.added} 个，"
        f"更新 {summary.updated} 个，不再现行 {summary.retired} 个，未变 {summary.unchanged} 个。"
    )
    if summary.retired_priority:
        click.echo(
            "注意：以下重点帮扶县的代码已不在新代码表中，仍保留标记，请核实后标记其现行代码："
            + "、".join(summary.retired_priority)
        )


@counties_group.command("list")
@click.option("--province", default=None, help="省份名称或 2 位省级代码。")
@click.option("--priority", is_flag=True, help="只列出已标记的重点帮扶县。")
@click.option("--include-retired", is_flag=True, help="也列出已不在现行代码表中的代码。")
def list_command(province: str | None, priority: bool, include_retired: bool) -> None:
    """列出县级行政区划（代码、县名、地市、省份、是否重点帮扶县）。"""
    province_code = None
    if province:
        province_code = queries.resolve_province(province)
        if province_code is None:
            raise CommandError(f"未知的省份：{province}（请填写省份名称或 2 位省级代码）。")
    stmt = queries.county_list_stmt(
        province_code=province_code, priority=True if priority else None,
        include_retired=include_retired,
    )
    count = 0
    for county in db.session.scalars(stmt):
        marks = []
        if county.is_priority:
            marks.append("重点帮扶县")
        if not county.is_current:
            marks.append("非现行")
        click.echo("\t".join([county.code, county.name, county.prefecture, county.province,
                              "，".join(marks)]).rstrip())
        count += 1
    click.echo(f"共 {count} 个。")


commands: list = [counties_group]
