"""DSA Transparency Database aggregates and prosecutors' case packages.

- ``dsa_dump_files``: each imported dump file by SHA-256 (re-imports are no-ops), with the
  rows read, bad and counted.
- ``dsa_daily_stats``: per file, platform, decision day, dump day and scope (protection of
  minors, CSAM, deepfake CSAM, grooming): counts, automated shares, decision delays.
- ``cases``, ``case_items`` (sightings and scans by id), ``case_exports`` (each archive
  made: recipient, digest of its content, who).

Revision ID: 0009_dsa_cases
Revises: 0008_accountability
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0009_dsa_cases"
down_revision = "0008_accountability"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dsa_dump_files",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=1024), nullable=False),
        sa.Column("platform_filter", sa.String(length=255), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_bad", sa.BigInteger(), nullable=False),
        sa.Column("rows_counted", sa.BigInteger(), nullable=False),
        sa.Column("bad_by_reason", sa.JSON(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsa_dump_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_dsa_dump_files_sha256")),
    )
    op.create_table(
        "dsa_daily_stats",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("platform", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dump_day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("statements", sa.BigInteger(), nullable=False),
        sa.Column("automated_detection", sa.BigInteger(), nullable=False),
        sa.Column("automated_decision_fully", sa.BigInteger(), nullable=False),
        sa.Column("automated_decision_partially", sa.BigInteger(), nullable=False),
        sa.Column("content_removed", sa.BigInteger(), nullable=False),
        sa.Column("decision_delays", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["dsa_dump_files.id"],
            name=op.f("fk_dsa_daily_stats_file_id_dsa_dump_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsa_daily_stats")),
        sa.UniqueConstraint("file_id", "platform", "day", "dump_day", "scope", name="uq_dsa_stat"),
    )
    op.create_index(
        op.f("ix_dsa_daily_stats_file_id"), "dsa_daily_stats", ["file_id"], unique=False
    )
    op.create_index(
        "ix_dsa_daily_stats_platform_day", "dsa_daily_stats", ["platform", "day"], unique=False
    )
    op.create_table(
        "cases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("name", name=op.f("uq_cases_name")),
    )
    op.create_table(
        "case_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_items")),
        sa.UniqueConstraint("case_id", "kind", "ref", name="uq_case_items"),
    )
    op.create_index(op.f("ix_case_items_case_id"), "case_items", ["case_id"], unique=False)
    op.create_table(
        "case_exports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("export_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("exported_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_exports_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_exports")),
        sa.UniqueConstraint("export_id", name=op.f("uq_case_exports_export_id")),
    )
    op.create_index(op.f("ix_case_exports_case_id"), "case_exports", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("case_exports")
    op.drop_table("case_items")
    op.drop_table("cases")
    op.drop_table("dsa_daily_stats")
    op.drop_table("dsa_dump_files")
