"""quarantine: the records a sync listed but could not read, kept raw with the reason; runs count them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'quarantine',
        sa.Column('id', _ID, nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('scope', sa.String(length=250), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('ref', sa.String(length=250), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('first_seen_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('times_seen', sa.Integer(), nullable=False),
        sa.Column('last_run_id', _ID, nullable=True),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'scope', 'kind', 'ref', name='uq_quarantine_record'),
    )
    op.create_index('ix_quarantine_run', 'quarantine', ['last_run_id'], unique=False)
    with op.batch_alter_table('sync_runs') as batch:
        batch.add_column(sa.Column('quarantined', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sync_runs') as batch:
        batch.drop_column('quarantined')
    op.drop_index('ix_quarantine_run', table_name='quarantine')
    op.drop_table('quarantine')
