"""Signal values compared byte by byte (collation "C") on PostgreSQL.

Signal values are lower-case hex, so every collation orders them alike; the database's
default collation (often a locale's) compares them through the C library's strcoll, which
made each insert into, and each probe of, the (type, value) index of a 1M-row import slower
than a byte comparison (BENCHMARKS.md, bulk import). SQLite compares bytes already.

Revision ID: 0012_signal_values_bytewise
Revises: 0011_noticed_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_signal_values_bytewise"
down_revision = "0011_noticed_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "signals",
            "value",
            type_=sa.String(128, collation="C"),
            existing_type=sa.String(128),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "signals",
            "value",
            type_=sa.String(128),
            existing_type=sa.String(128, collation="C"),
            existing_nullable=False,
        )
