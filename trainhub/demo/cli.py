"""``trainhub demo``: fill an empty database with the reproducible demo data set."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from trainhub.accounts.models import Role
from trainhub.demo.context import DemoAccount, DemoSummary
from trainhub.demo.operations import (
    DEFAULT_LEARNERS,
    DEFAULT_SEED,
    MAX_LEARNERS,
    MIN_LEARNERS,
    DemoError,
    create_demo_data,
)
from trainhub.extensions import db
from trainhub.learners.queries import TRAINEE_USERNAME_PREFIX

ROLE_ORDER = (Role.OFFICE, Role.COORDINATOR, Role.INSTRUCTOR, Role.CERTIFIER)


@click.command("demo")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="随机种子：相同的种子（在同一时刻）生成相同的数据。")
@click.option("--learners", type=click.IntRange(MIN_LEARNERS, MAX_LEARNERS), default=DEFAULT_LEARNERS,
              show_default=True, help="学员人数。")
@with_appcontext
def demo_command(seed: int, learners: int) -> None:
    """生成演示数据（第一阶段历史数据、围绕当前时间的进行中阶段、机构、学员、考勤和各角色账号），
    仅用于试点或演示环境。

    已有演示数据时不做任何更改；数据库中已有正式业务数据时拒绝执行。
    """
    if not sa.inspect(db.engine).has_table("learner"):
        raise click.ClickException("数据库尚未初始化：请先运行 trainhub init。")
    try:
        summary = create_demo_data(seed=seed, learners=learners)
    except DemoError as exc:
        raise click.ClickException(exc.message) from exc
    if summary is None:
        click.echo("演示数据已存在，未做任何更改。")
        return
    for line in summary_lines(summary, zone=current_app.config["TIMEZONE"]):
        click.echo(line)


def summary_lines(summary: DemoSummary, *, zone: str) -> list[str]:
    """What the command prints (and ``scripts/run.sh`` keeps in ``demo-accounts.txt``)."""
    counts = summary.counts
    first, last = summary.phase_window
    lines = [
        f"演示数据已创建（随机种子 {summary.seed}；以 {summary.today:%Y-%m-%d}（{zone}）为“今天”安排课表）：",
        f"  重点帮扶县 {counts['priority_counties']} 个；机构 {counts['organisations']} 个"
        f"（其中东部支援方 {counts['supporters']} 个），牵手结对 {counts['pairings']} 对",
        f"  第一阶段（2023 年）为历史数据；当前阶段：{summary.phase_name}（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}）",
        f"  课程 {counts['courses']} 门，课次 {counts['sessions']} 次（当前阶段 {counts['sessions_current_phase']} 次，"
        f"今天 {counts['sessions_today']} 次，今天起七天内 {counts['sessions_next_7_days']} 次）",
        f"  按重复规则排课的课次系列 {counts['series']} 个（法定节假日自动跳过）；"
        f"已取消课次 {counts['sessions_cancelled']} 次，调课 {counts['sessions_rescheduled']} 次（均注明原因）",
        f"  学员 {counts['learners']} 名，报名 {counts['enrolments']} 条，考勤 {counts['attendance']} 条，"
        f"请假申请 {counts['leave_requests']} 条，考核结果 {counts['assessments']} 条",
    ]
    if summary.programme_extended_from is not None:
        lines.append(f"  项目总体规划原定至 {summary.programme_extended_from:%Y-%m-%d}；为容纳当前阶段，"
                     f"演示数据将项目结束日期延至 {summary.programme_ends_on:%Y-%m-%d}。")
    lines += ["", f"演示账号（密码均为 {summary.password}；仅供演示，请勿在正式环境使用）："]
    accounts = sorted(summary.accounts, key=lambda a: (ROLE_ORDER.index(a.role), a.note is None))
    instructors = [a for a in accounts if a.role == Role.INSTRUCTOR]
    shown = [a for a in accounts if a.role != Role.INSTRUCTOR or a is instructors[0]]
    if summary.trainee is not None:
        shown.append(summary.trainee)
    width = max((len(account.username) for account in shown), default=10)
    for account in shown:
        lines.append(_account_line(account, width))
        if account.role == Role.INSTRUCTOR and len(instructors) > 1:
            others = "、".join(a.username for a in instructors[1:])
            lines.append(f"  {'':{width}}  其他讲师账号：{others}")
    names = summary.trainee_usernames
    if names:
        lines.append(f"  学员账号 {len(names)} 个：{names[0]} … {names[-1]}"
                     f"（用户名为 {TRAINEE_USERNAME_PREFIX} + 学员编号，各关联一名学员）")
    if summary.kept_usernames:
        lines.append("以下账号此前已存在，未修改其密码或角色：" + "、".join(summary.kept_usernames))
    return lines


def _account_line(account: DemoAccount, width: int) -> str:
    scope = f"，负责区域 {account.scope_code}" if account.scope_code else ""
    note = f" —— {account.note}" if account.note else ""
    return f"  {account.username.ljust(width)}  {account.role.label}{scope}：{account.display_name}{note}"


commands: list = [demo_command]
