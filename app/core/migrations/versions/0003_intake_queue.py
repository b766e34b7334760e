"""intake queue: deliveries acknowledged whose records and clocks are still to be stored

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'intake_queue',
        sa.Column('raw_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False,
                  nullable=False),
        sa.Column('queued_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['raw_id'], ['raw_deliveries.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('raw_id'),
    )


def downgrade() -> None:
    op.drop_table('intake_queue')
