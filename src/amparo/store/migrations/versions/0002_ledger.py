"""Ledger tables: entries, tiles, checkpoints, state, scan ticks.

Revision ID: 0002_ledger
Revises: 0001_core
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0002_ledger"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("salt", sa.LargeBinary(length=32), nullable=False),
        sa.Column("commitment", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("leaf_index", name=op.f("uq_ledger_entries_leaf_index")),
    )
    op.create_index(op.f("ix_ledger_entries_kind"), "ledger_entries", ["kind"])
    op.create_index(
        "ix_ledger_entries_pending",
        "ledger_entries",
        ["id"],
        postgresql_where=sa.text("leaf_index IS NULL"),
        sqlite_where=sa.text("leaf_index IS NULL"),
    )
    op.create_table(
        "ledger_tiles",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_tiles")),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_index(op.f("ix_ledger_checkpoints_tree_size"), "ledger_checkpoints", ["tree_size"])
    state = op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("lock_counter", sa.BigInteger(), nullable=False),
        sa.Column("last_tally_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_state")),
    )
    # The one state row every integrator locks; the empty tree's root is SHA-256("").
    op.bulk_insert(
        state,
        [{"id": 1, "tree_size": 0, "root_hash": hashlib.sha256(b"").digest(), "lock_counter": 0}],
    )
    op.create_table(
        "ledger_scan_ticks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_scan_ticks")),
    )


def downgrade() -> None:
    op.drop_table("ledger_scan_ticks")
    op.drop_table("ledger_state")
    op.drop_index(op.f("ix_ledger_checkpoints_tree_size"), table_name="ledger_checkpoints")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_tiles")
    op.drop_index("ix_ledger_entries_pending", table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_kind"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
