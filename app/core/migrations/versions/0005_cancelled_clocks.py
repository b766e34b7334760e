"""cancelled clocks: counted apart from the figures; a clock's notes and holders

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.tables import CANCELLED, COUNTED_STOPPED

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COUNTED = [
    ('ix_clocks_stopped', ['kind', 'started_at', 'developer', 'client', 'elapsed_seconds', 'target_seconds']),
    ('ix_clocks_durations', ['kind', 'developer', 'elapsed_seconds', 'started_at', 'target_seconds']),
]
_CANCELLED = ['kind', 'started_at', 'developer', 'client', 'target_seconds']
_DEVELOPER = ['developer', 'kind', 'started_at', 'stopped_at', 'elapsed_seconds', 'target_seconds']


def upgrade() -> None:
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=True))
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_developer')
        batch_op.create_index('ix_clocks_developer', [*_DEVELOPER, 'cancelled'], unique=False)
        for name, columns in _COUNTED:
            batch_op.drop_index(name)
            batch_op.create_index(name, [*columns, 'stopped_at', 'cancelled'], unique=False,
                                  sqlite_where=sa.text(COUNTED_STOPPED['sqlite']),
                                  postgresql_where=sa.text(COUNTED_STOPPED['postgresql']))
        batch_op.create_index('ix_clocks_cancelled', [*_CANCELLED, 'stopped_at', 'cancelled'], unique=False,
                              sqlite_where=sa.text(CANCELLED['sqlite']),
                              postgresql_where=sa.text(CANCELLED['postgresql']))


def downgrade() -> None:
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_cancelled')
        batch_op.drop_index('ix_clocks_developer')
        batch_op.create_index('ix_clocks_developer', _DEVELOPER, unique=False)
        for name, columns in _COUNTED:
            batch_op.drop_index(name)
            batch_op.create_index(name, [*columns, 'stopped_at'], unique=False,
                                  sqlite_where=sa.text('stopped_at IS NOT NULL'),
                                  postgresql_where=sa.text('stopped_at IS NOT NULL'))
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_column('detail')
        batch_op.drop_column('cancelled')
