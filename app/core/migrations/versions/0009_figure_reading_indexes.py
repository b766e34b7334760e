"""indexes the figures read: each client's durations in order, scores by time and by work item; drop the scores
of messages deleted before the store dropped them itself

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import COUNTED_STOPPED

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_CLIENT_DURATIONS = ['kind', 'client', 'elapsed_seconds', 'started_at', 'target_seconds', 'stopped_at', 'cancelled']

# Scores whose message is gone, deleted or emptied, or whose work item is deleted: the figures now read
# message_scores alone, and app/store/upserts.py drops such scores as each deletion is stored.
_STALE_SCORES = """
DELETE FROM message_scores WHERE NOT EXISTS (
    SELECT 1 FROM activities a
    LEFT JOIN work_items w ON w.source = a.source AND w.key = a.item_key
    WHERE a.source = message_scores.source AND a.external_id = message_scores.external_id
      AND NOT a.deleted AND COALESCE(a.body, '') <> '' AND (w.deleted IS NULL OR NOT w.deleted)
)
"""


def upgrade() -> None:
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.create_index('ix_clocks_client_durations', _CLIENT_DURATIONS, unique=False,
                              sqlite_where=sa.text(COUNTED_STOPPED['sqlite']),
                              postgresql_where=sa.text(COUNTED_STOPPED['postgresql']))
    with op.batch_alter_table('message_scores', schema=None) as batch_op:
        batch_op.create_index('ix_message_scores_at', ['at'], unique=False)
        batch_op.create_index('ix_message_scores_item', ['source', 'item_key'], unique=False)
    op.execute(_STALE_SCORES)


def downgrade() -> None:
    with op.batch_alter_table('message_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_message_scores_item')
        batch_op.drop_index('ix_message_scores_at')
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_client_durations')
