"""Change feed for in-memory catalogs, database identity, counted scan ticks.

- ``changes`` replaces ``signal_changes``: it also carries entry, bank and key changes, so a
  server keeps everything a lookup needs in memory. Existing rows are carried over with
  their sequence numbers.
- ``instance``: one row with a random UUID naming this database, so a saved index is
  never loaded into a server of another (or a recreated) database.
- ``ledger_scan_ticks.scans``: a tick row may count many scans (counted in memory and
  flushed at an interval).

Revision ID: 0003_change_feed
Revises: 0002_ledger
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime, utcnow

revision = "0003_change_feed"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("seq", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    op.execute(
        "INSERT INTO changes (seq, kind, object_id, created_at) "
        "SELECT seq, CASE op WHEN 'add' THEN 'signal+' ELSE 'signal-' END, signal_id, "
        "created_at FROM signal_changes"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('changes', 'seq'), "
            "COALESCE((SELECT MAX(seq) FROM changes), 0) + 1, false)"
        )
    op.drop_table("signal_changes")
    instance = op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance")),
    )
    op.bulk_insert(instance, [{"id": 1, "uuid": str(uuid.uuid4()), "created_at": utcnow()}])
    with op.batch_alter_table("ledger_scan_ticks") as batch:
        batch.add_column(
            sa.Column("scans", sa.BigInteger(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_scan_ticks") as batch:
        batch.drop_column("scans")
    op.drop_table("instance")
    op.create_table(
        "signal_changes",
        sa.Column("seq", _ID, autoincrement=True, nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("signal_id", sa.BigInteger(), nullable=False),
        sa.Column("signal_type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_signal_changes")),
    )
    op.drop_table("changes")
