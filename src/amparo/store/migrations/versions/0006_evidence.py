"""Evidence vault: sealed items and their legal holds.

- ``evidence_items``: one row per sealed item — plaintext digest and size, media type, the
  scan or source it came from, the cipher, key-encryption key id, wrapped data key and
  nonce, where its ciphertext is stored, retention and legal-hold state, and when it was
  purged (the row stays as a tombstone without its wrapped key).
- ``evidence_holds``: who placed a legal hold, why and when; who released it, why and when.

Revision ID: 0006_evidence
Revises: 0005_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0006_evidence"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=True),
        sa.Column("scan_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("cipher", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=255), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("storage_path", sa.String(length=1024), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retain_until", UTCDateTime(), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("purged_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
    )
    op.create_index(op.f("ix_evidence_items_sha256"), "evidence_items", ["sha256"])
    op.create_index(op.f("ix_evidence_items_scan_id"), "evidence_items", ["scan_id"])
    op.create_index(op.f("ix_evidence_items_retain_until"), "evidence_items", ["retain_until"])
    op.create_table(
        "evidence_holds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("placed_by", sa.String(length=255), nullable=False),
        sa.Column("placed_by_key_id", sa.BigInteger(), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("released_by", sa.String(length=255), nullable=True),
        sa.Column("released_by_key_id", sa.BigInteger(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_holds_item_id_evidence_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_holds")),
    )
    op.create_index(op.f("ix_evidence_holds_item_id"), "evidence_holds", ["item_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_holds_item_id"), table_name="evidence_holds")
    op.drop_table("evidence_holds")
    op.drop_index(op.f("ix_evidence_items_retain_until"), table_name="evidence_items")
    op.drop_index(op.f("ix_evidence_items_scan_id"), table_name="evidence_items")
    op.drop_index(op.f("ix_evidence_items_sha256"), table_name="evidence_items")
    op.drop_table("evidence_items")
