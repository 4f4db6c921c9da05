"""Drop ``ix_entries_bank_id``: ``uq_entries_source`` (bank_id, source, source_id) leads with
the same column and serves every lookup by bank (a bank's entries, their count, a bank's
deletion), so the second index only cost an insert per entry (BENCHMARKS.md, bulk import).

Revision ID: 0014_entries_bank_index
Revises: 0013_change_runs
"""

from __future__ import annotations

from alembic import op

revision = "0014_entries_bank_index"
down_revision = "0013_change_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_entries_bank_id", table_name="entries")


def downgrade() -> None:
    op.create_index("ix_entries_bank_id", "entries", ["bank_id"], unique=False)
