"""client token scope: api_tokens.scope holds `client:<name>`, so it is widened from 16 to 250 characters

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('scope', existing_type=sa.String(length=16), type_=sa.String(length=250),
                           existing_nullable=False)


def downgrade() -> None:
    # A client token's scope does not fit the old column: those tokens go, the read and admin ones stay.
    op.execute("DELETE FROM api_tokens WHERE scope LIKE 'client:%'")
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('scope', existing_type=sa.String(length=250), type_=sa.String(length=16),
                           existing_nullable=False)
