"""Persistence: SQLAlchemy tables, engines, the unit of work and Alembic migrations.

SQLite in the data directory by default; PostgreSQL through ``AMPARO_DATABASE_URL``. Each
table has one owner package, whose repository module (``_repo.py``) holds all SQL against
it and turns rows into that package's values; rows never go further. The witness keeps its
state in a database of its own (:class:`WitnessStore`).
"""

from amparo.store._base import Base, UTCDateTime, utcnow
from amparo.store._db import (
    FileLock,
    WriterLock,
    create_engine_for,
    database_instance,
    migrate,
    ping,
)
from amparo.store._ledger_tables import (
    LedgerCheckpointRow,
    LedgerEntryRow,
    LedgerScanTickRow,
    LedgerStateRow,
    LedgerTileRow,
)
from amparo.store._models import (
    ApiKeyRow,
    BankRow,
    CaseExportRow,
    CaseItemRow,
    CaseRow,
    ChangeRow,
    DsaDailyStatRow,
    DsaDumpFileRow,
    EntryRow,
    EvidenceHoldRow,
    EvidenceItemRow,
    ExchangeRow,
    InstanceRow,
    NoticeRow,
    OutboxRow,
    PlatformRow,
    PolicyActivationRow,
    PolicyRow,
    ReuploadRow,
    ReviewItemRow,
    ReviewRevealRow,
    ScanRow,
    SightingRow,
    SignalRow,
    TakedownCheckRow,
    UserRow,
    UserSessionRow,
    WebhookEndpointRow,
)
from amparo.store._report_tables import ReportDraftRow
from amparo.store._uow import UnitOfWork
from amparo.store._witness import WitnessStore

__all__ = [
    "ApiKeyRow",
    "BankRow",
    "Base",
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
    "FileLock",
    "InstanceRow",
    "LedgerCheckpointRow",
    "LedgerEntryRow",
    "LedgerScanTickRow",
    "LedgerStateRow",
    "LedgerTileRow",
    "NoticeRow",
    "OutboxRow",
    "PlatformRow",
    "PolicyActivationRow",
    "PolicyRow",
    "ReportDraftRow",
    "ReuploadRow",
    "ReviewItemRow",
    "ReviewRevealRow",
    "ScanRow",
    "SightingRow",
    "SignalRow",
    "TakedownCheckRow",
    "UTCDateTime",
    "UnitOfWork",
    "UserRow",
    "UserSessionRow",
    "WebhookEndpointRow",
    "WitnessStore",
    "WriterLock",
    "create_engine_for",
    "database_instance",
    "metadata",
    "migrate",
    "ping",
    "utcnow",
]

metadata = Base.metadata
