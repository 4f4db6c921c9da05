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


def downgrade() -> None:
    op.drop_column("changes", "last_id")
