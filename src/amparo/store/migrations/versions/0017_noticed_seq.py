"""Noticed items numbered in the order they were noticed (``noticed_seq``), in place of the
partial index over noticed sightings.

Every scan's group commit checks it against the noticed items (re-uploads). It read all of
them each time: 115 ms a commit with 10,000 noticed items, 0.8 s with 100,000 (BENCHMARKS.md,
"Re-upload check"). Each server process now keeps them in memory and reads only those
numbered above the last it saw: one indexed read, whatever their number. The number is
handed out in commit order (see ``amparo.accountability._repo.mark_noticed``), so reading
above it never skips one. Items noticed before this revision are numbered by their id (any
order will do for them: all are read at once by a fresh process).

Revision ID: 0017_noticed_seq
Revises: 0016_signal_value_hash_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_noticed_seq"
down_revision = "0016_signal_value_hash_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accountability_sightings", sa.Column("noticed_seq", sa.BigInteger()))
    op.execute(
        "UPDATE accountability_sightings SET noticed_seq = id WHERE first_notice_at IS NOT NULL"
    )
    op.create_index(
        "ix_accountability_sightings_noticed_seq",
        "accountability_sightings",
        ["noticed_seq"],
        unique=True,
    )
    op.drop_index("ix_accountability_sightings_noticed", table_name="accountability_sightings")


def downgrade() -> None:
    op.create_index(
        "ix_accountability_sightings_noticed",
        "accountability_sightings",
        ["id"],
        postgresql_where=sa.text("first_notice_at IS NOT NULL"),
        sqlite_where=sa.text("first_notice_at IS NOT NULL"),
    )
    op.drop_index("ix_accountability_sightings_noticed_seq", table_name="accountability_sightings")
    with op.batch_alter_table("accountability_sightings") as batch:
        batch.drop_column("noticed_seq")
