"""Command-line commands of learners: ``trainhub learners activation-links`` and
``trainhub learners export``.

The operator at the command line acts for the programme office: every area is visible.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import click
import pandas as pd
from flask.cli import with_appcontext

from trainhub.accounts.operations import ACTIVATION_LINK_DAYS
from trainhub.auth import Role
from trainhub.extensions import db
from trainhub.geo.queries import resolve_province
from trainhub.learners import operations, queries, trainee_accounts
from trainhub.learners.operations import LearnerError
from trainhub.learners.queries import LearnerFilters
from trainhub.links import LinksUnavailable, ensure_available, external_url
from trainhub.localtime import format_localtime
from trainhub.orgs.models import Organisation
from trainhub.spreadsheets import to_csv, to_xlsx
from trainhub.transaction import after_commit

#: Who the command line reads as: the office (no area limit).
OPERATOR = SimpleNamespace(role=Role.OFFICE, scope_code=None)

LINK_COLUMNS = ["姓名", "所在机构", "县区", "用户名", "激活链接", "有效期至"]


def _filters(organisation: int | None, county: str | None, province: str | None) -> LearnerFilters:
    if organisation is not None and db.session.get(Organisation, organisation) is None:
        raise click.ClickException(f"--organisation: 机构 {organisation} 不存在。")
    if county is not None and not re.fullmatch(r"\d{6}", county):
        raise click.ClickException("--county: 县级代码应为 6 位数字。")
    province_code = None
    if province:
        province_code = resolve_province(province)
        if province_code is None:
            raise click.ClickException(f"--province: 未知的省份 {province}（请填写省份名称或 2 位代码）。")
    return LearnerFilters(organisation_id=organisation, county_code=county, province_code=province_code)


def _base_url(given: str | None) -> str | None:
    """Where trainees reach the system: ``--base-url``, else the configured PUBLIC_URL;
    refused before any link is made when there is neither."""
    try:
        return ensure_available(given)
    except ValueError:
        raise click.ClickException("--base-url 应为完整的网址，例如 https://px.example.org。") from None
    except LinksUnavailable:
        raise click.ClickException(
            "请用 --base-url 指定学员访问本系统的地址（例如 https://px.example.org），"
            "或设置 TRAINHUB_PUBLIC_URL，以生成完整的激活链接。"
        ) from None


def _write(data: bytes, output: str | None) -> None:
    if output:
        try:
            Path(output).write_bytes(data)
        except OSError as error:
            raise click.ClickException(f"无法写入 {output}：{error}") from error
    else:
        click.echo(data, nl=False)  # bytes go to the binary stream untouched


filter_options = [
    click.option("--organisation", type=int, default=None, help="只含该机构（机构 id）的学员。"),
    click.option("--county", default=None, help="只含机构位于该县（6 位代码）的学员。"),
    click.option("--province", default=None, help="只含机构位于该省（名称或 2 位代码）的学员。"),
]


def with_filters(command):
    for option in reversed(filter_options):
        command = option(command)
    return command


@click.group("learners")
def learners_group():
    """Learners: activation links, exports (学员)."""


@learners_group.command("activation-links")
@with_filters
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="写入的 CSV 文件（UTF-8，Excel 可直接打开）；不给出时写到标准输出。")
@click.option("--base-url", default=None,
              help="学员访问本系统的地址，例如 https://px.example.org（默认取 TRAINHUB_PUBLIC_URL 配置）。")
@click.option("--days", type=click.IntRange(1, 90), default=ACTIVATION_LINK_DAYS, show_default=True,
              help="链接的有效天数。")
@with_appcontext
def activation_links_command(organisation, county, province, output, base_url, days):
    """One-time activation links for learners not yet activated (生成激活链接).

    Each link works once; earlier unused links of the same learners stop working.
    """
    filters = _filters(organisation, county, province)
    base = _base_url(base_url)
    learners = queries.not_activated(OPERATOR, filters)
    if not learners:
        click.echo("没有需要激活链接的学员（符合条件的学员账号都已激活）。", err=True)
        return
    try:
        issued, skipped = trainee_accounts.issue_activation_links(learners, actor=OPERATOR, days=days)
    except LearnerError as error:
        raise click.ClickException(error.message) from error
    rows = [
        (link.learner.name, link.learner.organisation.name, link.learner.organisation.county.name,
         link.username, external_url("accounts.activate", token=link.token, _base_url=base),
         format_localtime(link.expires_at))
        for link in issued
    ]
    note = f"，{skipped} 名学员的账号已激活或已停用，未生成" if skipped else ""

    def deliver() -> None:  # once committed: a file never lists links that do not exist
        _write(to_csv(pd.DataFrame(rows, columns=LINK_COLUMNS)), output)
        click.echo(f"已为 {len(issued)} 名学员生成激活链接（{days} 天内有效）{note}。"
                   + (f"已写入 {output}。" if output else ""), err=True)

    after_commit(deliver)


@learners_group.command("export")
@with_filters
@click.option("--output", type=click.Path(dir_okay=False), required=True,
              help="写入的 Excel 文件（.xlsx）；身份证号码和手机号码已脱敏。")
@with_appcontext
def export_command(organisation, county, province, output):
    """The learner register as an Excel workbook, masked (导出学员名册); recorded in the
    audit log as the web's export is."""
    filters = _filters(organisation, county, province)
    frame = operations.export_register(OPERATOR, filters, via="cli")
    data = to_xlsx({"学员": frame})

    def deliver() -> None:  # once the audit entry is committed
        _write(data, output)
        click.echo(f"已导出 {len(frame)} 名学员到 {output}。", err=True)

    after_commit(deliver)


commands: list = [learners_group]
