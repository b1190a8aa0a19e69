"""``trainhub import learners FILE``: the bulk import from the command line.

The same pipeline as the web page and the API. Exit status 0 when the file was imported
(or, with ``--dry-run``, would be), 1 when it is refused; nothing is written then.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from trainhub.imports.errors import ImportConflict, ImportRefused
from trainhub.imports.operations import commit_import
from trainhub.imports.plan import ImportPlan, RowAction
from trainhub.imports.planner import plan_import
from trainhub.imports.reading import read_roster
from trainhub.learners.operations import FIELD_LABELS
from trainhub.refusals import CommandError
from trainhub.spreadsheets import SpreadsheetError
from trainhub.uploads import read_file

#: At most this many problems are printed (all are in the rejected-rows workbook).
MAX_PRINTED_PROBLEMS = 200


import_group = AppGroup("import", help="从 Excel 或 CSV 文件批量导入数据。")


def _echo_plan(plan: ImportPlan, *, done: bool) -> None:
    counts = plan.counts
    verb = "已" if done else "将"
    click.echo(f"文件 {plan.filename}：学员数据 {counts['rows']} 行。")
    if plan.example_note:
        click.echo(plan.example_note)
    if plan.columns.ignored:
        click.echo("未识别、已忽略的列：" + "、".join(plan.columns.ignored))
    click.echo(f"  {verb}新增 {counts['new']} 名，{verb}更新 {counts['updated']} 名，"
               f"无变化 {counts['unchanged']} 名，有问题 {counts['rejected']} 行，"
               f"{verb}新建机构 {counts['organisations']} 个。")
    for org in plan.organisations_to_create:
        rows = "、".join(str(number) for number in org.rows[:10]) + ("…" if len(org.rows) > 10 else "")
        click.echo(f"  {verb}新建机构：{org.name}（{org.kind.label}，{org.county.province}{org.county.name}；"
                   f"第 {rows} 行）")
    for row in plan.of(RowAction.UPDATE):
        labels = "、".join(FIELD_LABELS.get(name, name) for name in row.changes)
        click.echo(f"  第 {row.row} 行 {row.fields.name}：{verb}更新 {labels}")
    if plan.course is not None:
        info = plan.course
        capacity = f"容量 {info.course.capacity} 人" if info.course.capacity else "不限人数"
        click.echo(f"报名课程 {info.course.code} {info.course.title}（{capacity}，导入前已报名 {info.enrolled} 人，"
                   f"候补 {info.waitlisted} 人；文件中已报名 {info.already} 人）。")
    problems = plan.problems
    if problems:
        click.echo(f"有问题的行（{counts['rejected']} 行，{len(problems)} 处）：")
        for problem in problems[:MAX_PRINTED_PROBLEMS]:
            click.echo(f"  第 {problem.row} 行【{problem.column}】{problem.message}")
        if len(problems) > MAX_PRINTED_PROBLEMS:
            click.echo(f"  ……另有 {len(problems) - MAX_PRINTED_PROBLEMS} 处问题未列出。")


def _default_rejected_path(file: Path) -> Path:
    return file.with_name(f"{file.stem}-未导入的行.xlsx")


@import_group.command("learners")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并显示结果，不写入。")
@click.option("--valid-only", is_flag=True,
              help="只导入无误的行（默认：任何一行有问题就不导入），有问题的行写入 --rejected 文件。")
@click.option("--enrol", "course_code", metavar="COURSE_CODE",
              help="把导入的全部学员（新登记的和已登记的）报名到该课程，名额满时进入候补名单。")
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False, path_type=Path),
              help="与 --valid-only 一起使用：未导入的行写入此 .xlsx 文件（默认：名单文件旁的“…-未导入的行.xlsx”）。")
def import_learners_command(file: Path, dry_run: bool, valid_only: bool, course_code: str | None,
                            rejected_path: Path | None) -> None:
    """从 FILE（.xlsx，或 UTF-8 / GBK 编码的 .csv）批量导入学员。

    按身份证号码识别学员：已登记的学员信息有变化时更新，无变化时不做修改；同一文件重复导入不会重复登记。

    默认“全部导入或全部不导入”：任何一行有问题时不写入任何数据，退出码为 1（--dry-run 时同样以退出码 1 表示该文件会被拒绝）。
    """
    try:
        data = read_file(file)
    except SpreadsheetError as exc:
        raise CommandError(exc.message) from exc
    try:
        plan = plan_import(read_roster(file.name, data), user=None, filename=file.name,
                           course_code=course_code)
    except ImportRefused as exc:
        raise CommandError(exc.message) from exc

    if dry_run:
        _echo_plan(plan, done=False)
        if plan.has_problems and not valid_only:
            raise CommandError("文件有问题：按“全部导入或全部不导入”的规则，导入时将不写入任何数据。"
                                     "（预览，未写入任何数据。）")
        if valid_only and plan.counts["rejected"] == plan.counts["rows"]:
            raise CommandError("文件中没有无误的行，导入时将不写入任何数据。（预览，未写入任何数据。）")
        click.echo("预览完成，未写入任何数据。")
        return

    target = rejected_path or _default_rejected_path(file)
    try:
        result = commit_import(plan, valid_only=valid_only, via="cli")
    except ImportRefused as exc:
        if not isinstance(exc, ImportConflict):
            _echo_plan(plan, done=False)
        raise CommandError(exc.message) from exc
    if result.rejected_workbook is not None:
        try:  # before committing: a failure leaves nothing written
            target.write_bytes(result.rejected_workbook)
        except OSError as exc:
            raise CommandError(
                f"未导入的行无法写入 {target}：{exc.strerror or exc}。未导入任何数据。") from exc
    _echo_plan(plan, done=True)
    if result.enrolment is not None:
        outcome = result.enrolment
        click.echo(f"报名结果：新报名 {outcome['enrolled']} 人，进入候补名单 {outcome['waitlisted']} 人，"
                   f"此前已报名 {outcome['already']} 人。")
    if result.rejected_workbook is not None:
        click.echo(f"未导入的 {len(result.rejected)} 行已写入 {target}，请按“错误说明”列修改后重新导入。")
    click.echo("导入完成。")


commands: list = [import_group]
