"""The actions outbox and webhook endpoints (``amparo.actions``).

- ``webhook_endpoints``: receivers configured by an operator; the signing secret is stored
  only encrypted.
- ``action_outbox``: one row per action to deliver, inserted in the transaction of what
  caused it; a deliverer claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a lease
  on SQLite) and records each outcome.

Revision ID: 0005_outbox
Revises: 0004_policy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amparo.store._base import UTCDateTime

revision = "0005_outbox"
down_revision = "0004_policy"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_webhook_endpoints_name")),
    )
    op.create_table(
        "action_outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("endpoint_id", sa.BigInteger(), nullable=True),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_action_outbox_endpoint_id_webhook_endpoints"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_outbox")),
    )
    op.create_index("ix_action_outbox_due", "action_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_action_outbox_endpoint_id"), "action_outbox", ["endpoint_id"])
    op.create_index(op.f("ix_action_outbox_created_at"), "action_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_table("action_outbox")
    op.drop_table("webhook_endpoints")
