"""github_redeliveries: failed GitHub webhook deliveries the worker asked to redeliver, once per event

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'github_redeliveries',
        sa.Column('id', _ID, nullable=False),
        sa.Column('guid', sa.String(length=64), nullable=False),
        sa.Column('delivery_id', sa.BigInteger(), nullable=False),
        sa.Column('hook', sa.String(length=250), nullable=False),
        sa.Column('event', sa.String(length=64), nullable=True),
        sa.Column('failed_status', sa.Integer(), nullable=True),
        sa.Column('delivered_at', UTCDateTime(), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('requested_by', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('guid', name='uq_github_redeliveries_guid'),
    )


def downgrade() -> None:
    op.drop_table('github_redeliveries')
