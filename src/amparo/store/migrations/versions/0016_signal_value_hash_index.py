"""Signals found by value through a hash index on PostgreSQL (a B-tree on SQLite), in place
of the (signal_type, value) B-tree.

Every lookup of a signal names its value exactly (an import's upsert, an entry's signals by
hash); none orders or ranges over values. A hash index keeps a 4-byte hash code per signal
(37 MB at 1M signals, against 119 MB), so an insert or probe touches one bucket page instead
of descending a tree of 64-character keys whose every comparison first compares the type:
inserting 1M signals cost PostgreSQL 2.4 s of index work instead of 6.3 s (BENCHMARKS.md,
bulk import). The type is checked on the row found. SQLite has no hash index; a B-tree on
the value alone is smaller than one on both columns.

Revision ID: 0016_signal_value_hash_index
Revises: 0015_bank_content_references
"""

from __future__ import annotations

from alembic import op

revision = "0016_signal_value_hash_index"
down_revision = "0015_bank_content_references"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_signals_type_value", table_name="signals")
    op.create_index("ix_signals_value", "signals", ["value"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_signals_value", table_name="signals")
    op.create_index("ix_signals_type_value", "signals", ["signal_type", "value"])
