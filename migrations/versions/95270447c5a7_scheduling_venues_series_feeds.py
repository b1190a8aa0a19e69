"""scheduling: venues, series, calendar feeds, session changes

Sessions keep what they held: the free-text venue becomes ``venue_detail`` (a venue record
needs a county, which a string cannot tell); ``updated_at`` starts at the creation time;
a session already cancelled gets its cancellation time from its last change. The rule that a
session's instructor teaches its course becomes a composite foreign key onto
``course_instructor``: an instructor who taught a session of a course without being listed
for it is listed first, so that no session loses its instructor.

Revision ID: 95270447c5a7
Revises: b7d2c91f4a30
Create Date: 2026-11-30 17:02:03.864542

"""
import sqlalchemy as sa
from alembic import op

import trainhub.db


# revision identifiers, used by Alembic.
revision = '95270447c5a7'
down_revision = 'b7d2c91f4a30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('venue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('created_at', trainhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', trainhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['county_code'], ['county.code'], name=op.f('fk_venue_county_code_county')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_venue_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue')),
    sa.UniqueConstraint('county_code', 'name', name='uq_venue_county_name')
    )
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venue_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_venue_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', trainhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', trainhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_fetched_at', trainhub.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(user_id IS NULL) <> (course_id IS NULL)', name=op.f('ck_calendar_feed_user_or_course')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_calendar_feed_course_id_course')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_calendar_feed_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_calendar_feed_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_feed_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_calendar_feed_active_course', ['course_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND course_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND course_id IS NOT NULL'))
        batch_op.create_index('uq_calendar_feed_active_user', ['user_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'))

    op.create_table('session_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('starts_time', sa.Time(), nullable=False),
    sa.Column('ends_time', sa.Time(), nullable=False),
    sa.Column('first_date', sa.Date(), nullable=False),
    sa.Column('until_date', sa.Date(), nullable=True),
    sa.Column('occurrences', sa.Integer(), nullable=True),
    sa.Column('skip_holidays', sa.Boolean(), nullable=False),
    sa.Column('kept_holidays', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', trainhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', trainhub.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(until_date IS NULL) <> (occurrences IS NULL)', name=op.f('ck_session_series_until_or_count')),
    sa.CheckConstraint('ends_time > starts_time', name=op.f('ck_session_series_ends_after_start')),
    sa.CheckConstraint('occurrences IS NULL OR occurrences > 0', name=op.f('ck_session_series_count_positive')),
    sa.CheckConstraint('until_date IS NULL OR until_date >= first_date', name=op.f('ck_session_series_until_after_first')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_session_series_course_id_course')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_session_series_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_series'))
    )
    with op.batch_alter_table('session_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_series_course_id'), ['course_id'], unique=False)

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE course SET updated_at = created_at')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=trainhub.db.UTCDateTime(timezone=True),
                              nullable=False)

    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('venue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('venue_detail', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('meeting_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('clash_override', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE course_session SET venue_detail = venue, sequence = 0, updated_at = created_at')
    op.execute("UPDATE course_session SET cancelled_at = created_at WHERE status = 'cancelled'")
    op.execute(
        'INSERT INTO course_instructor (course_id, user_id) '
        'SELECT DISTINCT s.course_id, s.instructor_id FROM course_session s '
        'WHERE s.instructor_id IS NOT NULL AND NOT EXISTS ('
        ' SELECT 1 FROM course_instructor ci'
        ' WHERE ci.course_id = s.course_id AND ci.user_id = s.instructor_id)'
    )
    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('updated_at', existing_type=trainhub.db.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.create_index(batch_op.f('ix_course_session_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_session_venue_id'), ['venue_id'], unique=False)
        batch_op.create_foreign_key('fk_course_session_course_instructor', 'course_instructor', ['course_id', 'instructor_id'], ['course_id', 'user_id'], deferrable=True, initially='DEFERRED')
        batch_op.create_foreign_key(batch_op.f('fk_course_session_venue_id_venue'), 'venue', ['venue_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_course_session_series_id_session_series'), 'session_series', ['series_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_course_session_sequence_nonneg'), 'sequence >= 0')
        batch_op.create_check_constraint(
            op.f('ck_course_session_cancelled_when_cancelled'),
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
        )
        batch_op.drop_column('venue')

    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', trainhub.db.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('phase', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('venue', sa.VARCHAR(length=200), nullable=True))
    op.execute(
        'UPDATE course_session SET venue = COALESCE(venue_detail, '
        '(SELECT name FROM venue WHERE venue.id = course_session.venue_id))'
    )
    with op.batch_alter_table('course_session', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_course_session_cancelled_when_cancelled'), type_='check')
        batch_op.drop_constraint(op.f('ck_course_session_sequence_nonneg'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_course_session_series_id_session_series'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_course_session_venue_id_venue'), type_='foreignkey')
        batch_op.drop_constraint('fk_course_session_course_instructor', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_course_session_venue_id'))
        batch_op.drop_index(batch_op.f('ix_course_session_series_id'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('sequence')
        batch_op.drop_column('clash_override')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('meeting_number')
        batch_op.drop_column('venue_detail')
        batch_op.drop_column('venue_id')
        batch_op.drop_column('series_id')

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('session_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_series_course_id'))

    op.drop_table('session_series')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index('uq_calendar_feed_active_user', sqlite_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND user_id IS NOT NULL'))
        batch_op.drop_index('uq_calendar_feed_active_course', sqlite_where=sa.text('revoked_at IS NULL AND course_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND course_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_calendar_feed_user_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_feed_course_id'))

    op.drop_table('calendar_feed')
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venue_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_venue_county_code'))

    op.drop_table('venue')
