"""The ``trainhub`` command group: Flask's commands plus each feature's, and ``trainhub init``,
which composes the features' reference data.

Every command is one unit of work (:func:`trainhub.transaction.commit_once`): it commits
when it ends without error and rolls back otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from alembic.migration import MigrationContext
from flask.cli import FlaskGroup, with_appcontext

from trainhub.courses.operations import ProgrammeSetup, ensure_initial_programme
from trainhub.extensions import db
from trainhub.geo.operations import EXPECTED_PRIORITY_COUNT, CountyReferenceSummary, load_counties
from trainhub.keyrotation import commands as key_commands
from trainhub.transaction import commit_once


def _create_app():
    from trainhub import create_app

    return create_app()


@dataclass
class InitialData:
    counties: CountyReferenceSummary
    programme: ProgrammeSetup


def load_initial_data() -> InitialData:
    """What ``trainhub init`` loads (idempotent): the county code list and the confirmed
    priority counties, then the programme, phase 1 and its two tracks."""
    return InitialData(counties=load_counties(), programme=ensure_initial_programme())


def _schema_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@click.command("init")
@with_appcontext
def init_command() -> None:
    """建立或升级数据库结构（Alembic 迁移），并载入参考数据：县级行政区划、已确认的
    国家乡村振兴重点帮扶县、"牵手计划系列培训"项目、第一阶段及其两个课程模块。可重复运行。"""
    from flask_migrate import upgrade

    before = _schema_revision()
    upgrade()
    after = _schema_revision()
    if before == after:
        click.echo("数据库结构已是最新版本，无需升级。")
    elif before is None:
        click.echo(f"已建立数据库结构（版本 {after}）。")
    else:
        click.echo(f"已将数据库结构从版本 {before} 升级到 {after}。")
    loaded = load_initial_data()
    counties, setup = loaded.counties, loaded.programme
    if counties.code_list:
        click.echo(
            f"已载入县级行政区划代码表 {counties.code_list.version}："
            f"{counties.code_list.total} 个县级行政区划。"
        )
        click.echo(f"已标记已确认的国家乡村振兴重点帮扶县 {len(counties.flagged)} 个。")
    else:
        click.echo("县级行政区划代码表此前已载入，未作更改（重点帮扶县标记保持不变）。")
    click.echo(f"现行县级行政区划 {counties.county_count} 个；"
               f"已标记重点帮扶县 {counties.priority_count} 个（应为 {EXPECTED_PRIORITY_COUNT} 个）。")
    click.echo(
        f"项目：{setup.programme.name}；{setup.phase.name} {setup.phase.starts_on:%Y-%m-%d} 至 "
        f"{setup.phase.ends_on:%Y-%m-%d}；课程模块：{'、'.join(t.name for t in setup.tracks)}。"
    )
    if setup.created:
        click.echo(f"新建：{'、'.join(setup.created)}。")


def register_commands(app) -> None:
    """Attach ``trainhub init`` and each feature's commands to ``app.cli`` (called by the
    factory), each made one unit of work."""
    from trainhub.accounts.cli import commands as accounts_commands
    from trainhub.demo.cli import commands as demo_commands
    from trainhub.geo.cli import commands as geo_commands
    from trainhub.imports.cli import commands as imports_commands
    from trainhub.jobs.cli import commands as jobs_commands
    from trainhub.learners.cli import commands as learners_commands
    from trainhub.schedule.cli import commands as schedule_commands

    for command in (init_command, *key_commands, *accounts_commands, *geo_commands,
                    *demo_commands, *jobs_commands, *learners_commands, *schedule_commands,
                    *imports_commands):
        app.cli.add_command(commit_once(command))


main = FlaskGroup(create_app=_create_app, add_version_option=False, help="trainhub 运维命令")
