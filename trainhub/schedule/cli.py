"""``trainhub schedule …``: the timetable from the command line — the schedule import.

``trainhub schedule import FILE`` runs the same pipeline as the office's import page
(:mod:`trainhub.schedule.importing`). Exit status 0 when the file was imported (or, with
``--dry-run``, would be), 1 when it is refused; nothing is written then.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from trainhub.refusals import CommandError
from trainhub.schedule.import_plan import SchedulePlan
from trainhub.schedule.import_planner import plan_schedule
from trainhub.schedule.importing import ScheduleImportRefused, import_schedule, read_schedule
from trainhub.schedule.operations import ScheduleError
from trainhub.spreadsheets import SpreadsheetError
from trainhub.uploads import read_file

#: At most this many problems (and overridden clashes) are printed.
MAX_PRINTED = 300

schedule_group = AppGroup("schedule", help="课表：从 Excel 或 CSV 文件导入课次。")


def _echo_problems(title: str, problems) -> None:
    click.echo(title)
    for problem in problems[:MAX_PRINTED]:
        click.echo(f"  第 {problem.row} 行【{problem.column}】{problem.message}")
    if len(problems) > MAX_PRINTED:
        click.echo(f"  ……另有 {len(problems) - MAX_PRINTED} 处未列出。")


def _echo_plan(plan: SchedulePlan, *, done: bool) -> None:
    click.echo(f"文件 {plan.filename}：课次 {len(plan.rows)} 行。")
    if plan.example_note:
        click.echo(plan.example_note)
    if plan.columns.ignored:
        click.echo("未识别、已忽略的列：" + "、".join(plan.columns.ignored))
    if plan.unpublished:
        click.echo(f"注意：{plan.unpublished}")
    for row in plan.rows:
        for note in row.notes:
            click.echo(f"  第 {row.row} 行：{note}")
    if plan.overridden:
        _echo_problems(f"时间冲突（{len(plan.overridden)} 处，{'已' if done else '将'}按理由“{plan.override_reason}”覆盖）：",
                       plan.overridden)
    if plan.has_problems:
        _echo_problems(f"有问题的行（{len(plan.rejected)} 行，{len(plan.problems)} 处）：", plan.problems)
        return
    verb = "已创建" if done else "将创建"
    total = sum(count for _, count in plan.per_course)
    click.echo(f"{verb}课次 {total} 个：")
    for course, count in plan.per_course:
        click.echo(f"  {course.code} {course.title}：{count} 个")


@schedule_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并列出每行的问题，不保存。")
@click.option("--allow-holidays", is_flag=True, help="允许在法定节假日排课（默认拒绝这些行，并写明节日）。")
@click.option("--override-clashes", "override_reason", metavar="REASON",
              help="与已有课次或文件中其他行的讲师、学员、场地时间冲突时仍然排课，并记录此理由（默认拒绝冲突的行）。")
def import_command(file: Path, dry_run: bool, allow_holidays: bool, override_reason: str | None) -> None:
    """从 FILE（.xlsx，或 UTF-8 / GBK 编码的 .csv）导入课次，每行一个课次。

    列：课程编号、日期、开始时间、结束时间、地点或会议链接（至少一项）、会议号（可选）、讲师（用户名，
    留空为课程的第一位讲师）、标题（可选）；可用中文或英文表头，表头上方可以有标题行。

    全部导入或全部不导入：任何一行有问题时不保存任何课次，退出码为 1（--dry-run 时同样以退出码 1
    表示该文件会被拒绝）。成功时列出每门课程创建的课次数。
    """
    try:
        table = read_schedule(file.name, read_file(file))
        plan = plan_schedule(table, filename=file.name, allow_holidays=allow_holidays,
                             override_reason=override_reason)
    except SpreadsheetError as exc:
        raise CommandError(exc.message) from exc
    except ScheduleError as exc:
        raise CommandError(exc.message) from exc
    if dry_run:
        _echo_plan(plan, done=False)
        if plan.has_problems:
            raise CommandError(f"{plan.refusal()}（预览，未保存任何数据。）")
        click.echo("预览完成，未保存任何数据。")
        return
    if plan.has_problems:
        _echo_plan(plan, done=False)
        raise CommandError(plan.refusal())
    try:
        import_schedule(plan, actor=None, via="cli")
    except ScheduleImportRefused as exc:
        raise CommandError(exc.message) from exc
    _echo_plan(plan, done=True)
    click.echo("导入完成。")


commands: list = [schedule_group]
