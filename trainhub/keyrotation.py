"""Rotating the personal-data key: ``trainhub rotate-data-key``.

The operator makes a new key the current one (``TRAINHUB_DATA_KEY`` or ``instance/data_key``)
and lists the old one as still readable (``TRAINHUB_OLD_DATA_KEYS`` or
``instance/old_data_keys``); the application then reads both and writes with the new one.
This command rewrites every stored value under the current key: it decrypts and re-encrypts
each column marked :data:`trainhub.pii.ENCRYPTED` and recomputes each keyed hash
(:func:`trainhub.pii.keyed_hash`) from the value it stands for. It walks the tables in
batches (bounded memory) inside one unit of work: all or nothing. Afterwards the old key can
be removed (README, "Secrets and backups").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from trainhub.extensions import db
from trainhub.pii import PersonalDataCipher, UndecryptableError, cipher, generate_data_key

#: Rows read and rewritten per statement.
DEFAULT_BATCH = 500


class RotationError(RuntimeError):
    """Why the rotation was refused (Chinese, then English); nothing was changed."""


@dataclass
class RotationSummary:
    #: Values re-encrypted and hashes recomputed, by ``table.column``.
    encrypted: dict[str, int] = field(default_factory=dict)
    hashed: dict[str, int] = field(default_factory=dict)


def marked_columns(table: sa.Table) -> tuple[list[sa.Column], list[tuple[sa.Column, sa.Column]]]:
    """The encrypted columns of ``table`` and its keyed-hash columns with their sources."""
    encrypted = [column for column in table.columns if column.info.get("pii") == "encrypted"]
    hashed = [(column, table.c[column.info["source"]]) for column in table.columns
              if column.info.get("pii") == "keyed_hash"]
    return encrypted, hashed


def _rotate_table(table: sa.Table, pii: PersonalDataCipher, batch: int, summary: RotationSummary) -> None:
    encrypted, hashed = marked_columns(table)
    if not encrypted:
        return
    (key,) = table.primary_key.columns  # every marked table has a one-column key
    update = table.update().where(key == sa.bindparam("_key")).values(
        {column.name: sa.bindparam(f"_new_{column.name}") for column in encrypted}
        | {column.name: sa.bindparam(f"_new_{column.name}") for column, _ in hashed}
    )
    last = None
    while True:
        stmt = sa.select(key, *encrypted).order_by(key).limit(batch)
        if last is not None:
            stmt = stmt.where(key > last)
        rows = db.session.execute(stmt).all()
        if not rows:
            return
        changes = []
        for row in rows:
            plain = {}
            for column in encrypted:
                token = row._mapping[column]
                try:
                    plain[column.name] = pii.decrypt(token) if token is not None else None
                except UndecryptableError:
                    raise RotationError(
                        f"{table.name}.{column.name}（编号 {row[0]}）无法用任何已配置的密钥解密："
                        "请把原来的密钥列入 TRAINHUB_OLD_DATA_KEYS 或 instance/old_data_keys。"
                        "未作任何更改。 / "
                        f"{table.name}.{column.name} (id {row[0]}) opens with none of the configured "
                        "keys: list the previous key in TRAINHUB_OLD_DATA_KEYS or "
                        "instance/old_data_keys. Nothing was changed."
                    ) from None
            values = {"_key": row[0]}
            for column in encrypted:
                value = plain[column.name]
                values[f"_new_{column.name}"] = pii.encrypt(value) if value is not None else None
            for column, source in hashed:
                value = plain[source.name]
                values[f"_new_{column.name}"] = pii.search_hash(value) if value is not None else None
            changes.append(values)
        try:
            db.session.execute(update, changes)
        except IntegrityError:
            raise RotationError(
                f"{table.name} 中有两行在新密钥下的检索值相同（同一身份证号码被登记了两次）："
                "请先合并重复的记录。未作任何更改。 / Two rows of "
                f"{table.name} hash alike under the new key (the same ID number registered "
                "twice during the rotation): merge them first. Nothing was changed."
            ) from None
        for column in encrypted:
            name = f"{table.name}.{column.name}"
            summary.encrypted[name] = summary.encrypted.get(name, 0) + sum(
                1 for row in rows if row._mapping[column] is not None)
        for column, source in hashed:
            name = f"{table.name}.{column.name}"
            summary.hashed[name] = summary.hashed.get(name, 0) + sum(
                1 for row in rows if row._mapping[table.c[source.name]] is not None)
        last = rows[-1][0]


def rotate_data_key(*, batch: int = DEFAULT_BATCH) -> RotationSummary:
    """Rewrite every encrypted value and keyed hash under the current data key; flushes
    within the current unit of work (the caller commits, or rolls back on any error)."""
    summary = RotationSummary()
    pii = cipher()
    for table in db.metadata.sorted_tables:
        _rotate_table(table, pii, batch, summary)
    return summary


@click.command("rotate-data-key")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=DEFAULT_BATCH,
              show_default=True, help="每批读取并改写的行数。")
@click.option("--generate", is_flag=True,
              help="只生成一个新的密钥并输出到标准输出（不改动数据库）。")
@with_appcontext
def rotate_data_key_command(batch_size: int, generate: bool) -> None:
    """用当前密钥重新加密全部个人信息并重算检索值（更换个人信息密钥）。

    先把新密钥设为 TRAINHUB_DATA_KEY（或 instance/data_key），把原密钥列入
    TRAINHUB_OLD_DATA_KEYS（或 instance/old_data_keys），重启应用，再运行本命令。
    全部成功才提交；任何一行失败则不作任何更改。详见 README “Secrets and backups”。
    """
    if generate:
        click.echo(generate_data_key())
        return
    old = cipher().key_count - 1
    try:
        summary = rotate_data_key(batch=batch_size)
    except RotationError as error:
        raise click.ClickException(str(error)) from error
    for name, count in {**summary.encrypted, **summary.hashed}.items():
        click.echo(f"  {name}: {count}", err=True)
    total = sum(summary.encrypted.values())
    note = (f"（另有 {old} 个旧密钥可读；确认无误并过了导入文件的保留期后即可删除）" if old
            else "（未配置旧密钥：所有数据本已在当前密钥下，已照样改写）")
    click.echo(f"已用当前密钥重新加密 {total} 个值，重算 {sum(summary.hashed.values())} 个检索值{note}。",
               err=True)


commands: list = [rotate_data_key_command]
