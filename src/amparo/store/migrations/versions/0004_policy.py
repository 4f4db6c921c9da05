"""Policies: stored versions and their activations; each scan's decision and content metadata.

- ``policies``: one row per version of a policy text (never changed once stored).
- ``policy_activations``: each activation; the newest names the active policy.
- ``scans.decision``: what the active policy decided for the scan (JSON, null for scans made
  before policies); ``scans.content``: the caller's content metadata (content_id,
  uploader_id, surface, country).

Revision ID: 0004_policy
Revises: 0003_change_feed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0004_policy"
down_revision = "0003_change_feed"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("version", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policies")),
    )
    op.create_index(op.f("ix_policies_sha256"), "policies", ["sha256"])
    op.create_table(
        "policy_activations",
        sa.Column("seq", _ID, autoincrement=True, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=False),
        sa.Column("activated_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["policies.version"],
            name=op.f("fk_policy_activations_version_policies"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_policy_activations")),
    )
    op.create_index(op.f("ix_policy_activations_version"), "policy_activations", ["version"])
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("decision", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("content", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("content")
        batch.drop_column("decision")
    op.drop_index(op.f("ix_policy_activations_version"), table_name="policy_activations")
    op.drop_table("policy_activations")
    op.drop_index(op.f("ix_policies_sha256"), table_name="policies")
    op.drop_table("policies")
