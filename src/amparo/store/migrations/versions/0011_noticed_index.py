"""An index of the noticed sightings, which every scan's group commit reads.

The re-upload check of the scan writer reads the digests and PDQs of every noticed sighting
once per group commit; without this partial index that read scanned all sightings.

Revision ID: 0011_noticed_index
Revises: 0010_report_drafts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_noticed_index"
down_revision = "0010_report_drafts"
branch_labels = None
depends_on = None

_NOTICED = sa.text("first_notice_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_accountability_sightings_noticed",
        "accountability_sightings",
        ["id"],
        postgresql_where=_NOTICED,
        sqlite_where=_NOTICED,
    )


def downgrade() -> None:
    op.drop_index("ix_accountability_sightings_noticed", table_name="accountability_sightings")
