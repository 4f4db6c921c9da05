"""Core tables: banks, their entries and signals, the change feed, keys, exchanges, scans.

Rows never leave the ``store`` package: repositories turn them into domain values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amparo.store._base import Base, BigIntPK, UTCDateTime, utcnow

__all__ = [
    "ApiKeyRow",
    "BankRow",
    "ChangeRow",
    "EntryRow",
    "ExchangeRow",
    "InstanceRow",
    "NoticeRow",
    "PlatformRow",
    "ReuploadRow",
    "ScanRow",
    "SightingRow",
    "SignalRow",
    "TakedownCheckRow",
]


class BankRow(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    matching_enabled_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EntryRow(Base):
    """One item of a bank (HMA: "bank content"): one or more signals of the same media."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("bank_id", "source", "source_id", name="uq_entries_source"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("banks.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(64), default="local")
    source_id: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(255))
    # HMA semantics: 1 enabled, 0 disabled, any other value: disabled until that Unix time.
    disable_until_ts: Mapped[int] = mapped_column(BigInteger, default=1)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    original_media_uri: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    signals: Mapped[list[SignalRow]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", passive_deletes=True
    )


class SignalRow(Base):
    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_type_value", "signal_type", "value"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
    signal_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(128))
    quality: Mapped[int | None] = mapped_column(Integer)

    entry: Mapped[EntryRow] = relationship(back_populates="signals")


class ChangeRow(Base):
    """The change feed: one row per change that lookups must see, in commit order.

    ``kind`` is ``signal+`` / ``signal-`` (a signal added or removed; ``object_id`` is the
    signal's id), ``entry`` / ``entry-`` (an entry's state or description changed, or it was
    deleted), ``bank`` (a bank was made, changed or deleted) or ``key`` (an API key was
    created or revoked). In-memory
    catalogs follow it by ``seq`` and re-read what changed.
    """

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstanceRow(Base):
    """One row: this database's identity, so a cached index is never used with another."""

    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    uuid: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExchangeRow(Base):
    """A configured source of hashes (NCMEC, StopNCII, ThreatExchange, ...) feeding a bank."""

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    api: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("banks.id", ondelete="CASCADE"), index=True
    )
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fetch_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fetch_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fetch_error: Mapped[str | None] = mapped_column(Text)
    fetched_items: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScanRow(Base):
    """What one scan saw and matched. Never holds media."""

    __tablename__ = "scans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(1024))
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    key_id: Mapped[int | None] = mapped_column(BigInteger)


# -- accountability (owned by amparo.accountability) -----------------------------------------


class PlatformRow(Base):
    """A platform notices go to: its host names, notice channel and legal contact."""

    __tablename__ = "accountability_platforms"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    hostnames: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(16))
    channel_target: Mapped[str] = mapped_column(String(2048))
    legal_contact: Mapped[str | None] = mapped_column(String(320))
    trusted_flagger: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SightingRow(Base):
    """An item an investigator saw online, what it hashed to, and where its notices and
    takedown checks stand. Never media (the bytes are in the evidence vault)."""

    __tablename__ = "accountability_sightings"
    __table_args__ = (
        Index("ix_accountability_sightings_notice_due", "state", "next_notice_at"),
        Index("ix_accountability_sightings_check_due", "state", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    platform_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accountability_platforms.id"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    found_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    scan_id: Mapped[str | None] = mapped_column(String(36))
    evidence_id: Mapped[str] = mapped_column(String(255))
    md5: Mapped[str] = mapped_column(String(32), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdq: Mapped[str | None] = mapped_column(String(64))
    ai_verdict: Mapped[str | None] = mapped_column(String(32))
    matched_banks: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="open")
    notices_sent: Mapped[int] = mapped_column(Integer, default=0)
    notice_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removal_kind: Mapped[str | None] = mapped_column(String(32))
    claim: Mapped[str | None] = mapped_column(String(36))


class NoticeRow(Base):
    """One notice sent (or attempted) about a sighting, and the channel's answer."""

    __tablename__ = "accountability_notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sighting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accountability_sightings.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(2048))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[bool] = mapped_column(Boolean)
    content_sha256: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(Text)


class TakedownCheckRow(Base):
    """One re-check of a noticed URL: what it served then. Never the bytes."""

    __tablename__ = "accountability_checks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sighting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accountability_sightings.id", ondelete="CASCADE"), index=True
    )
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(32))
    status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class ReuploadRow(Base):
    """A scan or sighting matching an item that was already noticed."""

    __tablename__ = "accountability_reuploads"
    __table_args__ = (
        UniqueConstraint("original_id", "source", "source_ref", name="uq_accountability_reupload"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    original_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accountability_sightings.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str | None] = mapped_column(Text)
    matched_by: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(Integer, default=0)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delay_seconds: Mapped[int] = mapped_column(BigInteger)
