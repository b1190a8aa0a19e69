"""Personal data encrypted at rest

What a stolen backup must not reveal: the learner's birth date is encrypted (only the birth
year stays in clear), the stored masks of ID and mobile numbers are dropped (they are
derived when shown), and an organisation's contact phone is encrypted.

The data key comes from the application's configuration (``trainhub init`` and
``trainhub db upgrade`` run inside the app): the same key that encrypted the ID numbers
already stored, checked on one of them before anything is written.

Revision ID: b7d2c91f4a30
Revises: 77c401c343dd
Create Date: 2026-12-02 09:00:00

"""
from datetime import date

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = 'b7d2c91f4a30'
down_revision = '77c401c343dd'
branch_labels = None
depends_on = None

#: Rows read and rewritten per statement batch (bounded memory on large registers).
BATCH = 1000

learner = sa.table(
    'learner',
    sa.column('id', sa.Integer),
    sa.column('birth_date', sa.Date),
    sa.column('birth_year', sa.SmallInteger),
    sa.column('birth_date_enc', sa.Text),
    sa.column('id_number_enc', sa.Text),
    sa.column('id_number_masked', sa.String),
    sa.column('phone_enc', sa.Text),
    sa.column('phone_masked', sa.String),
)
organisation = sa.table(
    'organisation',
    sa.column('id', sa.Integer),
    sa.column('contact_phone', sa.String),
    sa.column('contact_phone_enc', sa.Text),
)


def _cipher():
    return current_app.extensions['trainhub_pii']


def _rewrite(connection, table, columns, compute) -> None:
    """Set, row by row in primary-key order ``BATCH`` at a time, the values ``compute(row)``
    returns (a dict of column values, or None to leave the row alone)."""
    names = None
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *columns).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            new = compute(row)
            if new is not None:
                names = names or list(new)
                values.append({'_key': row.id, **{f'_{name}': new[name] for name in names}})
        if values:
            connection.execute(
                table.update().where(table.c.id == sa.bindparam('_key'))
                .values({name: sa.bindparam(f'_{name}') for name in names}),
                values,
            )
        last = rows[-1].id


def _check_key(connection) -> None:
    """Refuse to write under a key that cannot read what is stored already."""
    token = connection.execute(sa.select(learner.c.id_number_enc).limit(1)).scalar()
    if token is None:
        return
    try:
        _cipher().decrypt(token)
    except RuntimeError as error:
        raise RuntimeError(
            '配置的个人信息密钥无法解密数据库中已有的身份证号码，迁移未执行：请配置原来的密钥'
            '（TRAINHUB_DATA_KEY 或 instance/data_key）。 / The configured data key cannot '
            'decrypt the ID numbers already stored; nothing was migrated. Configure the key '
            'the data was written with.'
        ) from error


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def upgrade():
    connection = op.get_bind()
    _check_key(connection)  # before any change: SQLite applies DDL at once
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_year', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('birth_date_enc', sa.Text(), nullable=True))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone_enc', sa.Text(), nullable=True))

    encrypt = _cipher().encrypt
    _rewrite(connection, learner, [learner.c.birth_date], lambda row: {
        'birth_year': _as_date(row.birth_date).year,
        'birth_date_enc': encrypt(_as_date(row.birth_date).isoformat()),
    })
    _rewrite(connection, organisation, [organisation.c.contact_phone], lambda row: {
        'contact_phone_enc': encrypt(row.contact_phone)} if row.contact_phone else None)

    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.alter_column('birth_year', existing_type=sa.SmallInteger(), nullable=False)
        batch_op.alter_column('birth_date_enc', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('birth_date')
        batch_op.drop_column('id_number_masked')
        batch_op.drop_column('phone_masked')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('contact_phone')


def _mask(value: str, head: int, tail: int) -> str:
    if len(value) < head + tail:
        return '*' * len(value)
    return value[:head] + '*' * (len(value) - head - tail) + value[-tail:]


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=20), nullable=True))
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_masked', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('id_number_masked', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))

    connection = op.get_bind()
    decrypt = _cipher().decrypt
    _rewrite(connection, learner, [learner.c.birth_date_enc, learner.c.id_number_enc,
                                   learner.c.phone_enc], lambda row: {
        'birth_date': date.fromisoformat(decrypt(row.birth_date_enc)),
        'id_number_masked': _mask(decrypt(row.id_number_enc), 4, 4),
        'phone_masked': _mask(decrypt(row.phone_enc), 3, 4) if row.phone_enc else None,
    })
    _rewrite(connection, organisation, [organisation.c.contact_phone_enc], lambda row: {
        'contact_phone': decrypt(row.contact_phone_enc)} if row.contact_phone_enc else None)

    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.alter_column('birth_date', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('id_number_masked', existing_type=sa.String(length=18), nullable=False)
        batch_op.drop_column('birth_date_enc')
        batch_op.drop_column('birth_year')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('contact_phone_enc')
