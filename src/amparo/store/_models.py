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
    "OutboxRow",
    "ScanRow",
    "SignalRow",
    "WebhookEndpointRow",
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


# -- actions: webhook endpoints and the outbox (owner: amparo.actions) ----------------------


class WebhookEndpointRow(Base):
    """A receiver of webhooks, configured by an operator. ``secret`` is a Fernet token of the
    Standard Webhooks signing secret (see ``amparo.exchanges.CredentialBox``), never plain."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxRow(Base):
    """One action to deliver, inserted in the transaction of what caused it (the outbox).

    ``status`` is ``pending`` (``next_attempt_at`` says when), ``delivered`` or ``dead``.
    ``claim_token``/``claimed_until`` are the lease of a deliverer on SQLite (PostgreSQL holds
    a row lock instead). ``endpoint`` keeps the endpoint's name after it is removed.
    """

    __tablename__ = "action_outbox"
    __table_args__ = (Index("ix_action_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    endpoint_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("webhook_endpoints.id", ondelete="SET NULL"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
