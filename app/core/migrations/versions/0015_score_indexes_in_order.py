"""score and flagged-term indexes in the listing's whole order, carrying the columns the sums read

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:00:00.000000

A walk newest first (at, source, external_id) stops at the last message a page lists instead of sorting each
group's ties, and a year's counts and term sums are read from an index alone (no read of each row's table page):
on SQLite, a year of 300,000 scores by week went from 12 s to about 1 s (bench/RESULTS.md, section 5).
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_SUMMED = ['supported', 'passes', 'words', 'jargon_share']
_NEW = {
    'message_scores': {
        'ix_message_scores_at': ['at', 'source', 'external_id', *_SUMMED, 'client', 'developer'],
        'ix_message_scores_developer': ['developer', 'at', 'source', 'external_id', *_SUMMED],
        'ix_message_scores_client': ['client', 'at', 'source', 'external_id', *_SUMMED, 'developer'],
    },
    'flagged_terms': {
        'ix_flagged_terms_at': ['at', 'client', 'developer', 'term', 'count', 'suggestion'],
        'ix_flagged_terms_term': ['term', 'at', 'source', 'external_id'],
        'ix_flagged_terms_developer_term': ['developer', 'term', 'at', 'source', 'external_id', 'count',
                                            'suggestion'],
        'ix_flagged_terms_client_term': ['client', 'term', 'at', 'source', 'external_id', 'count', 'suggestion'],
    },
}
_OLD = {
    'message_scores': {'ix_message_scores_at': ['at'], 'ix_message_scores_developer': ['developer', 'at']},
    'flagged_terms': {
        'ix_flagged_terms_at': ['at'], 'ix_flagged_terms_term': ['term', 'at'],
        'ix_flagged_terms_developer_term': ['developer', 'term', 'at'],
        'ix_flagged_terms_client_term': ['client', 'term', 'at'],
    },
}


def _replace(wanted: dict[str, dict[str, list[str]]], existing: dict[str, dict[str, list[str]]]) -> None:
    for table, indexes in wanted.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in existing.get(table, {}):
                batch_op.drop_index(name)
            for name, columns in indexes.items():
                batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _replace(_NEW, _OLD)


def downgrade() -> None:
    _replace(_OLD, {'message_scores': {**_OLD['message_scores'], 'ix_message_scores_client': []},
                    'flagged_terms': _OLD['flagged_terms']})
