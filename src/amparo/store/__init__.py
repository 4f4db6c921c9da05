"""Persistence: SQLAlchemy tables, engines, sessions and Alembic migrations.

SQLite in the data directory by default; PostgreSQL through ``AMPARO_DATABASE_URL``.
"""

from amparo.store._base import Base, utcnow
from amparo.store._db import create_engine_for, migrate
from amparo.store._models import (
    ApiKeyRow,
    BankRow,
    EntryRow,
    ExchangeRow,
    ScanRow,
    SignalChangeRow,
    SignalRow,
)

__all__ = [
    "ApiKeyRow",
    "BankRow",
    "Base",
    "EntryRow",
    "ExchangeRow",
    "ScanRow",
    "SignalChangeRow",
    "SignalRow",
    "create_engine_for",
    "metadata",
    "migrate",
    "utcnow",
]

# The ledger's tables live in their own module; importing it puts them in ``metadata``.
from amparo.store import _ledger_tables  # noqa: F401

metadata = Base.metadata
