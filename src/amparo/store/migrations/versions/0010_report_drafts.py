"""Report drafts: what a policy's ``report`` action stores until the report is sent.

Revision ID: 0010_report_drafts
Revises: 0009_dsa_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0010_report_drafts"
down_revision = "0009_dsa_cases"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_drafts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_drafts")),
    )
    for column in ("kind", "scan_id", "created_at"):
        op.create_index(op.f(f"ix_report_drafts_{column}"), "report_drafts", [column], unique=False)


def downgrade() -> None:
    op.drop_table("report_drafts")
