"""the flagged terms of each scored message as rows: a year of terms is summed without parsing each score's JSON

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.core.tables

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# The scores stored so far: their terms are copied from each score's JSON list (terms cut to 200 characters,
# as app.reports.plain_language writes them; a message names a term once).
_BACKFILL = {
    "postgresql": """
        INSERT INTO flagged_terms (source, external_id, term, count, suggestion, client, developer, at)
        SELECT s.source, s.external_id, left(f.value ->> 'term', 200), sum((f.value ->> 'count')::integer),
               max(f.value ->> 'suggestion'), s.client, s.developer, s.at
        FROM message_scores s CROSS JOIN LATERAL json_array_elements(s.flagged) AS f(value)
        WHERE s.supported
        GROUP BY s.source, s.external_id, left(f.value ->> 'term', 200), s.client, s.developer, s.at
    """,
    "sqlite": """
        INSERT INTO flagged_terms (source, external_id, term, count, suggestion, client, developer, at)
        SELECT s.source, s.external_id, substr(json_extract(f.value, '$.term'), 1, 200),
               sum(json_extract(f.value, '$.count')), max(json_extract(f.value, '$.suggestion')),
               s.client, s.developer, s.at
        FROM message_scores s, json_each(s.flagged) AS f
        WHERE s.supported
        GROUP BY s.source, s.external_id, substr(json_extract(f.value, '$.term'), 1, 200), s.client, s.developer,
                 s.at
    """,
}


def upgrade() -> None:
    op.create_table(
        'flagged_terms',
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('external_id', sa.String(length=300), nullable=False),
        sa.Column('term', sa.String(length=200), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('suggestion', sa.String(length=500), nullable=True),
        sa.Column('client', sa.String(length=200), nullable=False),
        sa.Column('developer', sa.String(length=200), nullable=False),
        sa.Column('at', app.core.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['source', 'external_id'], ['message_scores.source', 'message_scores.external_id'],
                                name='fk_flagged_terms_score', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('source', 'external_id', 'term'),
    )
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table('flagged_terms', schema=None) as batch_op:
        batch_op.create_index('ix_flagged_terms_at', ['at'], unique=False)
        batch_op.create_index('ix_flagged_terms_author', ['client', 'developer', 'at'], unique=False)
        batch_op.create_index('ix_flagged_terms_term', ['term', 'at'], unique=False)
        batch_op.create_index('ix_flagged_terms_developer_term', ['developer', 'term', 'at'], unique=False)
        batch_op.create_index('ix_flagged_terms_client_term', ['client', 'term', 'at'], unique=False)


def downgrade() -> None:
    op.drop_table('flagged_terms')
