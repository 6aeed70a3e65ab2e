"""index reviews by conversation

Revision ID: 0003
Revises: 0002

Each flagged conversation first looks for an undecided review of the same (client,
conversation) so a resubmission returns it instead of queueing a second one. Without an index
that lookup scanned every review: 1.4 ms per flagged commit at 1,000 open reviews, 16 ms at
20,000.
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_reviews_conversation', 'reviews', ['conversation_id', 'client'])


def downgrade() -> None:
    op.drop_index('ix_reviews_conversation', table_name='reviews')
