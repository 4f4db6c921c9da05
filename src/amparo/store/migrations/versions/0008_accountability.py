"""Accountability: platforms, sightings, notices, takedown checks, re-uploads.

Revision ID: 0008_accountability
Revises: 0007_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0008_accountability"
down_revision = "0007_review"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accountability_platforms",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("hostnames", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("channel_target", sa.String(length=2048), nullable=False),
        sa.Column("legal_contact", sa.String(length=320), nullable=True),
        sa.Column("trusted_flagger", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_platforms")),
        sa.UniqueConstraint("name", name=op.f("uq_accountability_platforms_name")),
    )
    op.create_table(
        "accountability_sightings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("platform_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("found_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=True),
        sa.Column("scan_id", sa.String(length=36), nullable=True),
        sa.Column("evidence_id", sa.String(length=255), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("ai_verdict", sa.String(length=32), nullable=True),
        sa.Column("matched_banks", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notices_sent", sa.Integer(), nullable=False),
        sa.Column("notice_failures", sa.Integer(), nullable=False),
        sa.Column("first_notice_at", UTCDateTime(), nullable=True),
        sa.Column("next_notice_at", UTCDateTime(), nullable=True),
        sa.Column("next_check_at", UTCDateTime(), nullable=True),
        sa.Column("check_failures", sa.Integer(), nullable=False),
        sa.Column("last_check_at", UTCDateTime(), nullable=True),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("removal_kind", sa.String(length=32), nullable=True),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["accountability_platforms.id"],
            name=op.f("fk_accountability_sightings_platform_id_accountability_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_sightings")),
    )
    op.create_index(
        "ix_accountability_sightings_check_due",
        "accountability_sightings",
        ["state", "next_check_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_accountability_sightings_md5"), "accountability_sightings", ["md5"], unique=False
    )
    op.create_index(
        "ix_accountability_sightings_notice_due",
        "accountability_sightings",
        ["state", "next_notice_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_accountability_sightings_platform_id"),
        "accountability_sightings",
        ["platform_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_accountability_sightings_sha256"),
        "accountability_sightings",
        ["sha256"],
        unique=False,
    )
    op.create_table(
        "accountability_checks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sighting_id", sa.BigInteger(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["accountability_sightings.id"],
            name=op.f("fk_accountability_checks_sighting_id_accountability_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_checks")),
    )
    op.create_index(
        op.f("ix_accountability_checks_sighting_id"),
        "accountability_checks",
        ["sighting_id"],
        unique=False,
    )
    op.create_table(
        "accountability_notices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sighting_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=2048), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["accountability_sightings.id"],
            name=op.f("fk_accountability_notices_sighting_id_accountability_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_notices")),
    )
    op.create_index(
        op.f("ix_accountability_notices_sighting_id"),
        "accountability_notices",
        ["sighting_id"],
        unique=False,
    )
    op.create_table(
        "accountability_reuploads",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("original_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("matched_by", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.Column("delay_seconds", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["accountability_sightings.id"],
            name=op.f("fk_accountability_reuploads_original_id_accountability_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_reuploads")),
        sa.UniqueConstraint(
            "original_id", "source", "source_ref", name="uq_accountability_reupload"
        ),
    )
    op.create_index(
        op.f("ix_accountability_reuploads_original_id"),
        "accountability_reuploads",
        ["original_id"],
        unique=False,
    )


def downgrade() -> None:
    for table in (
        "accountability_reuploads",
        "accountability_notices",
        "accountability_checks",
        "accountability_sightings",
        "accountability_platforms",
    ):
        op.drop_table(table)
