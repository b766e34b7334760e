"""clock figure indexes: open clocks, durations of stopped ones, a developer's durations by start

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 11:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_PARTIAL = [
    ('ix_clocks_open', 'stopped_at IS NULL',
     ['kind', 'started_at', 'developer', 'client', 'elapsed_seconds', 'target_seconds', 'running_since', 'deadline',
      'at_risk_at']),
    ('ix_clocks_stopped', 'stopped_at IS NOT NULL',
     ['kind', 'started_at', 'developer', 'client', 'elapsed_seconds', 'target_seconds']),
    ('ix_clocks_durations', 'stopped_at IS NOT NULL',
     ['kind', 'developer', 'elapsed_seconds', 'started_at', 'target_seconds']),
]
_DEVELOPER = ['developer', 'kind', 'started_at']


def upgrade() -> None:
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_developer')
        batch_op.create_index('ix_clocks_developer',
                              [*_DEVELOPER, 'stopped_at', 'elapsed_seconds', 'target_seconds'], unique=False)
        for name, where, columns in _PARTIAL:
            batch_op.create_index(name, [*columns, 'stopped_at'], unique=False,
                                  sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        for name, _, _ in reversed(_PARTIAL):
            batch_op.drop_index(name)
        batch_op.drop_index('ix_clocks_developer')
        batch_op.create_index('ix_clocks_developer', _DEVELOPER, unique=False)
