"""worker jobs: each due time of a scheduled job is taken by one worker

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_jobs',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('next_at', UTCDateTime(), nullable=False),
        sa.Column('taken_at', UTCDateTime(), nullable=True),
        sa.Column('taken_by', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('worker_jobs')
