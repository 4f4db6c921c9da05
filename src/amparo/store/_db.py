"""Engines, sessions and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from amparo.store._models import InstanceRow

__all__ = ["create_engine_for", "database_instance", "migrate", "ping"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine_for(url: str) -> Engine:
    """An engine for ``url`` with the settings Amparo relies on.

    SQLite gets WAL, enforced foreign keys and a busy timeout so that a server and a CLI can
    share one database file.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Bring the database schema to the newest revision (idempotent)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def ping(engine: Engine) -> None:
    """One round trip to the database; raises what the driver raises when it is down."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


def database_instance(session: Session) -> str:
    """This database's identity (a UUID made by the migration that added it)."""
    row = session.get(InstanceRow, 1)
    return row.uuid if row is not None else ""
