"""The witness's state: per log origin, the size and root of the last checkpoint it cosigned.

A witness keeps this in its own small database (default: a SQLite file), not in Amparo's:
its table has its own metadata and is created on first use. The check against the stored
size and the update run in one transaction that takes the write lock first (SQLite
``BEGIN IMMEDIATE``, a PostgreSQL row lock), so concurrent requests can never roll the state
back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, Engine, LargeBinary, MetaData, String, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from amparo.store._db import create_engine_for

__all__ = ["WitnessStore"]


class _WitnessBase(DeclarativeBase):
    metadata = MetaData()


class WitnessStateRow(_WitnessBase):
    __tablename__ = "witness_state"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


class WitnessStore:
    """``origin -> (size, root)`` in the database at ``url``; its table is made if missing."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine_for(url)
        if self.engine.dialect.name == "sqlite":
            # Take SQLite's write lock at BEGIN, not at the first write: the read that decides
            # the write must already hold it.
            @event.listens_for(self.engine, "begin")
            def _immediate(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

            @event.listens_for(self.engine, "connect")
            def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None
                # A state rolled back by a crash could let the witness cosign a fork.
                dbapi_conn.execute("PRAGMA synchronous=FULL")

        _WitnessBase.metadata.create_all(self.engine)

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        """The size and root last cosigned for ``origin``, or None."""
        with Session(self.engine) as s:
            row = s.get(WitnessStateRow, origin)
            return (row.size, bytes(row.root)) if row else None

    def update(
        self, origin: str, decide: Callable[[tuple[int, bytes] | None], tuple[int, bytes] | None]
    ) -> None:
        """Atomically: read the state of ``origin``, call ``decide`` with it, and store what
        it returns (None: store nothing). ``decide`` may raise to abort."""
        with Session(self.engine) as s, s.begin():
            row = s.scalars(
                select(WitnessStateRow).where(WitnessStateRow.origin == origin).with_for_update()
            ).first()
            new = decide((row.size, bytes(row.root)) if row else None)
            if new is None:
                return
            ins = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
            stmt = ins(WitnessStateRow).values(origin=origin, size=new[0], root=new[1])
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["origin"], set_={"size": new[0], "root": new[1]}
                )
            )

    def close(self) -> None:
        self.engine.dispose()
