"""Job leases: attempt, worker and heartbeat columns; the ``interrupted`` job status

A running job now records which worker runs it (``worker``), which run it is (``attempt``,
the fencing number of its writes) and its last heartbeat (``heartbeat_at``); a job whose
worker vanished becomes ``interrupted``. The status is stored as a short string guarded by
the named CHECK ``ck_job_job_status``, so adding a value recreates that constraint and
widens the column (batch mode: SQLite rebuilds the table).

Revision ID: 04ae401ef30c
Revises: e428f61a9c0e
Create Date: 2026-11-30 14:01:21.386224

"""
from alembic import op
import sqlalchemy as sa

import trainhub.db


# revision identifiers, used by Alembic.
revision = '04ae401ef30c'
down_revision = 'e428f61a9c0e'
branch_labels = None
depends_on = None

OLD_STATUSES = ('queued', 'running', 'succeeded', 'failed')
NEW_STATUSES = (*OLD_STATUSES, 'interrupted')
STATUS_CHECK = 'ck_job_job_status'
#: What an interrupted job becomes on downgrade, where the status does not exist.
DOWNGRADED_ERROR = '后台任务进程停止，任务已中断（数据库降级后记为失败）。'


def _status_check(statuses) -> str:
    return 'status IN (' + ', '.join(f"'{status}'" for status in statuses) + ')'


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=9),
                              type_=sa.String(length=11), existing_nullable=False)
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.text(_status_check(NEW_STATUSES)))
    # jobs that ran before: one claim each
    op.execute(sa.text("UPDATE job SET attempt = 1 WHERE started_at IS NOT NULL"))


def downgrade():
    op.execute(sa.text("UPDATE job SET status = 'failed', error = :error WHERE status = 'interrupted'")
               .bindparams(error=DOWNGRADED_ERROR))
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=11),
                              type_=sa.String(length=9), existing_nullable=False)
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.text(_status_check(OLD_STATUSES)))
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('worker')
        batch_op.drop_column('attempt')
