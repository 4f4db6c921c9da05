"""Tables of report drafts (owned by ``amparo.reporting``; rows never leave it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from amparo.store._base import Base, BigIntPK, UTCDateTime, utcnow

__all__ = ["ReportDraftRow"]


class ReportDraftRow(Base):
    """A report a policy asked for (NCMEC CyberTipline or DSA statement of reasons), stored
    with the facts it needs until it is sent. Holds hashes and metadata, never media."""

    __tablename__ = "report_drafts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    scan_id: Mapped[str] = mapped_column(String(36), index=True)
    rule: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
