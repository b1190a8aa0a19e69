"""``trainhub demo``: fill an empty database with the reproducible demo data set."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from trainhub.demo.operations import (
    DEFAULT_LEARNERS,
    DEFAULT_SEED,
    MAX_LEARNERS,
    MIN_LEARNERS,
    DemoError,
    create_demo_data,
)
from trainhub.extensions import db


@click.command("demo")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="随机种子：相同的种子生成相同的数据。")
@click.option("--learners", type=click.IntRange(MIN_LEARNERS, MAX_LEARNERS), default=DEFAULT_LEARNERS,
              show_default=True, help="学员人数。")
@with_appcontext
def demo_command(seed: int, learners: int) -> None:
    """生成演示数据（课程、课表、机构、学员、考勤和各角色账号），仅用于试点或演示环境。

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

    counts = summary.counts
    click.echo(f"演示数据已创建（随机种子 {summary.seed}）：")
    click.echo(f"  重点帮扶县 {counts['priority_counties']} 个；机构 {counts['organisations']} 个"
               f"（其中东部支援方 {counts['supporters']} 个），牵手结对 {counts['pairings']} 对")
    click.echo(f"  课程 {counts['courses']} 门，课次 {counts['sessions']} 次")
    click.echo(f"  学员 {counts['learners']} 名，报名 {counts['enrolments']} 条，"
               f"考勤 {counts['attendance']} 条，考核结果 {counts['assessments']} 条")
    click.echo("")
    click.echo(f"演示账号（密码均为 {summary.password}；仅供演示，请勿在正式环境使用）：")
    width = max((len(account.username) for account in summary.accounts), default=10)
    for account in summary.accounts:
        scope = f"，负责区域 {account.scope_code}" if account.scope_code else ""
        click.echo(f"  {account.username.ljust(width)}  {account.role.label}{scope}：{account.display_name}")
    if summary.trainee_usernames:
        click.echo(f"  {summary.trainee_usernames[0]} … {summary.trainee_usernames[-1]}  "
                   f"学员账号 {len(summary.trainee_usernames)} 个，各关联一名学员")
    if summary.kept_usernames:
        click.echo("以下账号此前已存在，未修改其密码或角色：" + "、".join(summary.kept_usernames))


commands: list = [demo_command]
