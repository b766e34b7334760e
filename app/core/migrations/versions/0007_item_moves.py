"""item moves: a work item's old key and the key it moved to, so its clocks and evidence follow it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'item_moves',
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('old_key', sa.String(length=300), nullable=False),
        sa.Column('new_key', sa.String(length=300), nullable=False),
        sa.Column('old_container', sa.String(length=250), nullable=False),
        sa.Column('moved_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('source', 'old_key'),
    )
    op.create_index('ix_item_moves_new_key', 'item_moves', ['source', 'new_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_item_moves_new_key', table_name='item_moves')
    op.drop_table('item_moves')
