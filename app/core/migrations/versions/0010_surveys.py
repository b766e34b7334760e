"""surveys: a notification outbox, survey requests and opt-outs; feedback says where it came from and the 0-10 score

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', _ID, nullable=False),
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('destination', sa.String(length=1000), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_notification_key'),
    )
    op.create_index('ix_notifications_due', 'notifications', ['status', 'next_attempt_at'], unique=False)
    op.create_table(
        'survey_requests',
        sa.Column('id', _ID, nullable=False),
        sa.Column('key', sa.String(length=600), nullable=False),
        sa.Column('client', sa.String(length=200), nullable=False),
        sa.Column('person', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('period_start', UTCDateTime(), nullable=False),
        sa.Column('period_end', UTCDateTime(), nullable=False),
        sa.Column('developer', sa.String(length=200), nullable=False),
        sa.Column('item_key', sa.String(length=300), nullable=True),
        sa.Column('clock_id', sa.String(length=400), nullable=True),
        sa.Column('asks_recommend', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('reminded_at', UTCDateTime(), nullable=True),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=True),
        sa.Column('responsiveness', sa.Integer(), nullable=True),
        sa.Column('fix_speed', sa.Integer(), nullable=True),
        sa.Column('clarity', sa.Integer(), nullable=True),
        sa.Column('recommend', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_survey_request_key'),
    )
    op.create_index('ix_survey_requests_rating', 'survey_requests',
                    ['client', 'developer', 'period_start', 'period_end'], unique=False)
    op.create_table(
        'survey_opt_outs',
        sa.Column('client', sa.String(length=200), nullable=False),
        sa.Column('person', sa.String(length=200), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('client', 'person'),
    )
    with op.batch_alter_table('feedback') as batch:
        batch.add_column(sa.Column('recommend', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('origin', sa.String(length=16), server_default='api', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('feedback') as batch:
        batch.drop_column('origin')
        batch.drop_column('recommend')
    op.drop_table('survey_opt_outs')
    op.drop_index('ix_survey_requests_rating', table_name='survey_requests')
    op.drop_table('survey_requests')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_table('notifications')
