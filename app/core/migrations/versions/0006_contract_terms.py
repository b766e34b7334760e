"""contract terms: each version of a client's terms, with the moment it took effect

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'contract_terms',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('client', sa.String(length=200), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('terms', sa.JSON(), nullable=False),
        sa.Column('effective_from', UTCDateTime(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('contract_terms', schema=None) as batch_op:
        batch_op.create_index('ix_contract_terms_client', ['client', 'effective_from'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contract_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_terms_client')
    op.drop_table('contract_terms')
