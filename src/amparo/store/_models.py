"""Core tables: banks, their entries and signals, the change feed, keys, exchanges, scans.

Rows never leave the ``store`` package: repositories turn them into domain values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    "CaseExportRow",
    "CaseItemRow",
    "CaseRow",
    "ChangeRow",
    "DsaDailyStatRow",
    "DsaDumpFileRow",
    "EntryRow",
    "EvidenceHoldRow",
    "EvidenceItemRow",
    "ExchangeRow",
    "InstanceRow",
    "NoticeRow",
    "OutboxRow",
    "PlatformRow",
    "PolicyActivationRow",
    "PolicyRow",
    "ReuploadRow",
    "ReviewItemRow",
    "ReviewRevealRow",
    "ScanRow",
    "SightingRow",
    "SignalRow",
    "TakedownCheckRow",
    "UserRow",
    "UserSessionRow",
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
    # Looked up by the unique index below, which leads with it (migration 0014). PostgreSQL
    # checks this reference, and signals' entry_id, by triggers (migration 0015).
    bank_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("banks.id", ondelete="CASCADE"))
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
    # Found by value alone (every lookup names one exactly; the type is checked on the row):
    # a hash index on PostgreSQL, a B-tree on SQLite (migration 0016).
    __table_args__ = (Index("ix_signals_value", "value", postgresql_using="hash"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
    signal_type: Mapped[str] = mapped_column(String(32))
    # Hex, compared byte by byte on PostgreSQL (migration 0012): faster index inserts.
    value: Mapped[str] = mapped_column(
        String(128).with_variant(String(128, collation="C"), "postgresql")
    )
    quality: Mapped[int | None] = mapped_column(Integer)

    entry: Mapped[EntryRow] = relationship(back_populates="signals")


class ChangeRow(Base):
    """The change feed: one row per change that lookups must see, in commit order.

    ``kind`` is ``signal+`` / ``signal-`` (a signal added or removed; ``object_id`` is the
    signal's id; a ``signal+`` row with ``last_id`` stands for the run of signals
    ``object_id``..``last_id`` added together), ``entry`` / ``entry-`` (an entry's state or
    description changed, or it was deleted), ``bank`` (a bank was made, changed or deleted)
    or ``key`` (an API key was created or revoked). In-memory
    catalogs follow it by ``seq`` and re-read what changed.
    """

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int | None] = mapped_column(BigInteger)
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
    # Policy (0004_policy): what the active policy decided, and the caller's content metadata.
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# -- Policy (migration 0004_policy) ---------------------------------------------------------


class PolicyRow(Base):
    """One stored version of a policy: its exact text (never changed once stored)."""

    __tablename__ = "policies"

    version: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class PolicyActivationRow(Base):
    """Each activation of a policy version; the newest names the active policy."""

    __tablename__ = "policy_activations"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(BigInteger, ForeignKey("policies.version"), index=True)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_by: Mapped[str] = mapped_column(String(255))


# -- evidence vault (amparo.evidence) --------------------------------------------------------


class EvidenceItemRow(Base):
    """One sealed item of the evidence vault: its facts, wrapped data key and nonce; the
    ciphertext lives in the vault's storage at ``storage_path``. Never holds plaintext. A
    purged item keeps its row as a tombstone, without its wrapped key."""

    __tablename__ = "evidence_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(255))
    scan_id: Mapped[str | None] = mapped_column(String(36), index=True)
    source: Mapped[str] = mapped_column(String(32))
    cipher: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(255))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    storage_path: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvidenceHoldRow(Base):
    """A legal hold on an evidence item: who placed it, why and when; and its release."""

    __tablename__ = "evidence_holds"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("evidence_items.id", ondelete="RESTRICT"), index=True
    )
    placed_by: Mapped[str] = mapped_column(String(255))
    placed_by_key_id: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    released_by: Mapped[str | None] = mapped_column(String(255))
    released_by_key_id: Mapped[int | None] = mapped_column(BigInteger)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)


# -- review: queues of items for people to decide, their accounts and sessions (issue 10) ----


class ReviewItemRow(Base):
    """One scan sent to people for a decision: its queue, priority and deadline, who holds
    its claim until when, and the decision once made. Never holds media (that stays in the
    evidence vault, named by ``evidence_id``)."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_queue_status", "queue", "status"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(String(36), index=True)
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    sla_seconds: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rule: Mapped[str] = mapped_column(String(255))
    evidence_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="open")
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decided_by: Mapped[str | None] = mapped_column(String(300))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewRevealRow(Base):
    """One unblurred view of an item's media by one person: what the exposure cap counts."""

    __tablename__ = "review_reveals"
    __table_args__ = (Index("ix_review_reveals_actor_at", "actor", "revealed_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("review_items.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(300))
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserRow(Base):
    """A person's account for the review console: argon2 password digest, TOTP secret
    (encrypted with the secret key), lockout counters and break state."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[bytes] = mapped_column(LargeBinary)
    last_totp_step: Mapped[int] = mapped_column(BigInteger, default=0)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    streak_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    streak_items: Mapped[int] = mapped_column(Integer, default=0)
    break_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSessionRow(Base):
    """A console login: stored by the SHA-256 of its cookie, with its CSRF token."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- DSA Transparency Database cross-check (amparo.dsa) and case packages (amparo.cases) ---
# Migration 0009_dsa_cases. Owned by amparo.dsa (dsa_*) and amparo.cases (case_*).


class DsaDumpFileRow(Base):
    """One imported dump file; ``sha256`` makes re-importing the same file a no-op."""

    __tablename__ = "dsa_dump_files"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(1024))
    platform_filter: Mapped[str | None] = mapped_column(String(255))
    rows_read: Mapped[int] = mapped_column(BigInteger)
    rows_bad: Mapped[int] = mapped_column(BigInteger)
    rows_counted: Mapped[int] = mapped_column(BigInteger)
    bad_by_reason: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DsaDailyStatRow(Base):
    """What one platform declared for one decision day, in one scope, from one dump file.

    ``day`` is the decision's date (``application_date``), ``dump_day`` the date the
    statement reached the database (``created_at``: the dump's day). ``decision_delays``
    maps days from the content's date to the decision to statement counts.
    """

    __tablename__ = "dsa_daily_stats"
    __table_args__ = (
        UniqueConstraint("file_id", "platform", "day", "dump_day", "scope", name="uq_dsa_stat"),
        Index("ix_dsa_daily_stats_platform_day", "platform", "day"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dsa_dump_files.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    dump_day: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(32))
    statements: Mapped[int] = mapped_column(BigInteger)
    automated_detection: Mapped[int] = mapped_column(BigInteger)
    automated_decision_fully: Mapped[int] = mapped_column(BigInteger)
    automated_decision_partially: Mapped[int] = mapped_column(BigInteger)
    content_removed: Mapped[int] = mapped_column(BigInteger)
    decision_delays: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class CaseRow(Base):
    """A prosecutor's or hotline's case: a named set of sightings and scans."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(255))


class CaseItemRow(Base):
    """One item of a case: ``kind`` is ``sighting`` or ``scan``, ``ref`` its id."""

    __tablename__ = "case_items"
    __table_args__ = (UniqueConstraint("case_id", "kind", "ref", name="uq_case_items"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseExportRow(Base):
    """One export of a case: to whom, the archive's manifest digest, and when."""

    __tablename__ = "case_exports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    export_id: Mapped[str] = mapped_column(String(36), unique=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    files: Mapped[int] = mapped_column(Integer)
    exported_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
        # Every scan's group commit reads the items noticed since it last looked (re-upload
        # check): by this index, whatever their number. Unique: one number per item.
        Index("ix_accountability_sightings_noticed_seq", "noticed_seq", unique=True),
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
    noticed_seq: Mapped[int | None] = mapped_column(BigInteger)
    """Set with ``first_notice_at``: the items noticed so far are numbered in commit order
    (``amparo.accountability._repo.mark_noticed``)."""
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
