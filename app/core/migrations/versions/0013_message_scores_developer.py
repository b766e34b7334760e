"""an index on each developer's scores by time: a listing reads a developer's newest messages without a sort

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:15:00.000000
"""

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message_scores', schema=None) as batch_op:
        batch_op.create_index('ix_message_scores_developer', ['developer', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_message_scores_developer')
