"""The running system: settings, database, sessions and the matcher, opened once per process.

The CLI and the HTTP API are thin adapters over an :class:`Amparo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from amparo import provenance
from amparo.banks._repo import SIGNALS_CHANGED
from amparo.config import Settings
from amparo.scan._match import Matcher
from amparo.store import create_engine_for, migrate

__all__ = ["Amparo"]


class Amparo:
    """Settings + database + matcher. Create with :meth:`open`; close with :meth:`close`."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        classifiers: tuple[provenance.Classifier, ...] = (),
    ) -> None:
        self.settings = settings
        self.engine = engine
        # Trust anchors are read once here; external classifiers plug in through this call.
        self.provenance_options = provenance.options_from_settings(
            settings, classifiers=classifiers
        )
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.matcher = Matcher(self.sessions, refresh_seconds=settings.index_refresh_seconds)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        run_migrations: bool = True,
        classifiers: tuple[provenance.Classifier, ...] = (),
    ) -> Amparo:
        """Check settings, connect, and bring the schema up to date.

        ``classifiers`` are external, vetted services (see :class:`amparo.provenance.Classifier`)
        whose scores every scan adds to its provenance evidence.
        """
        settings.check()
        if settings.database_url is None:
            settings.data_path()
        engine = create_engine_for(settings.resolved_database_url)
        if run_migrations:
            migrate(engine)
        return cls(settings, engine, classifiers=classifiers)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits when the block succeeds, rolls back when it raises."""
        session = self.sessions()
        try:
            yield session
            session.commit()
            if session.info.pop(SIGNALS_CHANGED, False):
                self.matcher.notify_changed()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
