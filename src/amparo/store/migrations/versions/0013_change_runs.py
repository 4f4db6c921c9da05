"""One change-feed row per run of signals added together, not one per signal.

``changes.last_id``: for a ``signal+`` row, the last id of a run of consecutive signal ids
``object_id``..``last_id`` added in one transaction (NULL: ``object_id`` alone). A bulk
import wrote a change row per signal (a million rows per million hashes, each an index insert
and a line to send); now one per batch, and followers read a batch's signals by id range.

Revision ID: 0013_change_runs
Revises: 0012_signal_values_bytewise
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_change_runs"
down_revision = "0012_signal_values_bytewise"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("changes", sa.Column("last_id", sa.BigInteger(), nullable=True))


# A run's signals after its first, one row each, for the code before runs (new sequence
# numbers: re-applying an addition is harmless). Both databases take this recursive query.
_EXPAND = sa.text(
    "INSERT INTO changes (kind, object_id, created_at) "
    "WITH RECURSIVE ids(id, last_id, created_at) AS ("
    "SELECT object_id + 1, last_id, created_at FROM changes "
    "WHERE kind = 'signal+' AND last_id > object_id "
    "UNION ALL SELECT id + 1, last_id, created_at FROM ids WHERE id < last_id) "
    "SELECT 'signal+', id, created_at FROM ids"
)


def downgrade() -> None:
    op.execute(_EXPAND)
    op.drop_column("changes", "last_id")
