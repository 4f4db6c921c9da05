"""Persistence: SQLAlchemy tables, engines, the unit of work and Alembic migrations.

SQLite in the data directory by default; PostgreSQL through ``AMPARO_DATABASE_URL``. Each
table has one owner package, whose repository module (``_repo.py``) holds all SQL against
it and turns rows into that package's values; rows never go further. The witness keeps its
state in a database of its own (:class:`WitnessStore`).
"""

from amparo.store._base import Base, UTCDateTime, utcnow
from amparo.store._db import create_engine_for, database_instance, migrate, ping
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
    ChangeRow,
    EntryRow,
    ExchangeRow,
    InstanceRow,
    OutboxRow,
    ScanRow,
    SignalRow,
    WebhookEndpointRow,
)
from amparo.store._uow import UnitOfWork
from amparo.store._witness import WitnessStore

__all__ = [
    "ApiKeyRow",
    "BankRow",
    "Base",
    "ChangeRow",
    "EntryRow",
    "ExchangeRow",
    "InstanceRow",
    "LedgerCheckpointRow",
    "LedgerEntryRow",
    "LedgerScanTickRow",
    "LedgerStateRow",
    "LedgerTileRow",
    "OutboxRow",
    "ScanRow",
    "SignalRow",
    "UTCDateTime",
    "UnitOfWork",
    "WebhookEndpointRow",
    "WitnessStore",
    "create_engine_for",
    "database_instance",
    "metadata",
    "migrate",
    "ping",
    "utcnow",
]

metadata = Base.metadata
