"""The running system, opened once per process: the application layer's state and workers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import sessionmaker

from amparo import actions, auth, cases, dsa, evidence, heap, ledger
from amparo.accountability import (
    Accountability,
    ReuploadEffect,
    SightingObservations,
    SightingSources,
    VaultSink,
    load_noticed,
)
from amparo.config import Settings
from amparo.errors import ConfigError, UnavailableError
from amparo.events import Event
from amparo.exchanges import CredentialBox
from amparo.ledger import Ledger
from amparo.matching import Matcher
from amparo.policy import Policy, PolicyActivated
from amparo.provenance import Classifier
from amparo.runtime import _build
from amparo.runtime._follower import CatalogFollower, IndexStatus
from amparo.runtime._policy import PolicyHolder
from amparo.runtime._scan_writer import ScanWriter
from amparo.runtime._workers import PeriodicWorker
from amparo.store import UnitOfWork, WriterLock, create_engine_for, migrate, utcnow
from amparo.usecases import ApplyDecision, DecisionEffect

__all__ = ["Runtime"]

log = logging.getLogger(__name__)

_PURGE_BATCH = 500

Listener = Callable[[Sequence[Event]], None]

# Events after whose commit the deliverer looks for due actions at once (checked here, not
# by a call into amparo.actions: every scan's commit passes this line).
_QUEUES_DELIVERY = (actions.ActionQueued, actions.ActionRetried)


class Runtime:
    """Settings, database, unit of work, the in-memory catalog, the ledger, and every
    background worker, with one :meth:`start` and one :meth:`close`.

    The command line opens one and uses it without starting it: then the catalog loads on
    first use and scans commit at once. A server calls :meth:`start`: the catalog follows
    the change feed, scans are group-committed, the ledger integrates and signs checkpoints.
    Use cases (:mod:`amparo.usecases`) take the runtime through narrow interfaces; adapters
    (CLI, HTTP) parse, call one use case and render.
    """

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        classifiers: tuple[Classifier, ...] = (),
        effects: tuple[DecisionEffect, ...] = (),
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.hasher = _build.hasher(settings)
        self.fetcher = _build.url_fetcher(settings)
        # Trust anchors are read once here; external classifiers plug in through this call.
        self.provenance_options = _build.provenance_options(settings, classifiers)
        self.sessions = sessionmaker(engine, class_=UnitOfWork, expire_on_commit=False)
        snapshots = settings.data_dir / "index" if settings.index_snapshot_seconds > 0 else None
        self.follower = CatalogFollower(self.sessions, snapshot_dir=snapshots)
        # What decisions make happen (vault, outbox, review) plugs in here: applied in
        # each scan's transaction by the scan writer (see amparo.usecases.DecisionEffect).
        self.writer_lock = WriterLock(engine)
        self.scans = ScanWriter(
            self.session,
            writer_lock=self.writer_lock,
            effects=(
                ApplyDecision(lambda: self.vault),
                ReuploadEffect(settings.accountability_pdq_threshold),
                *effects,
            ),
        )
        self.policies = PolicyHolder(self.sessions)
        # Case packages gather scans and sightings with the media the vault preserved.
        cases.bind_sources(self, SightingSources(lambda: self.vault, lambda: self.ledger))
        # The DSA cross-check sets declarations beside what the sightings show.
        dsa.bind_observations(self, SightingObservations(self))
        self._listeners: list[Listener] = [self._on_policy_events]
        # Notices and takedown checks; sightings' media goes to the evidence vault.
        self.accountability = Accountability(self, settings, evidence=VaultSink(lambda: self.vault))
        self.deliverer = actions.Deliverer(
            self.session,
            dialect=engine.dialect.name,
            options=_build.delivery_options(settings),
            box=self.credential_box,
        )
        self._workers: list[PeriodicWorker] = []
        self._started = False

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        run_migrations: bool = True,
        classifiers: tuple[Classifier, ...] = (),
        effects: tuple[DecisionEffect, ...] = (),
    ) -> Runtime:
        """Check settings, connect, and bring the schema up to date.

        ``classifiers`` are external, vetted services (see :class:`amparo.provenance.Classifier`)
        whose scores every scan adds to its provenance evidence. ``effects`` are what a
        scan's decision makes happen, applied in the scan's own transaction (see
        :class:`amparo.usecases.DecisionEffect`), after the built-in ones
        (:class:`amparo.usecases.ApplyDecision`: the vault, report drafts...).

        A database URL that cannot work (unknown scheme or driver, unreachable server, wrong
        port, missing database, refused login) is a :class:`ConfigError` naming the URL
        without its password, never the driver's traceback.
        """
        settings.check()
        if settings.database_url is None:
            settings.data_path()
        url = settings.resolved_database_url
        try:
            engine = create_engine_for(url)
        # ImportError: the URL names a driver that is not installed (e.g. mysql://).
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(
                f"cannot use the database URL {_shown(url)}: {_first_line(exc)}",
                hint="set AMPARO_DATABASE_URL to e.g. postgresql+psycopg://USER@HOST:5432/DB, "
                "or unset it for SQLite in the data directory",
            ) from None
        try:
            if run_migrations:
                migrate(engine)
        except OperationalError as exc:
            engine.dispose()
            raise ConfigError(
                f"cannot connect to the database {_shown(url)}: {_first_line(exc.orig or exc)}",
                hint="check that the server runs at that host and port, that the database "
                "exists (createdb) and that the user may log in; or fix AMPARO_DATABASE_URL",
            ) from None
        return cls(settings, engine, classifiers=classifiers, effects=effects)

    # -- state ------------------------------------------------------------------------------

    @property
    def matcher(self) -> Matcher:
        """The in-memory lookups. Unstarted (the command line): loaded on first use. Started
        (a server): loaded by the catalog worker; until then :class:`UnavailableError`."""
        if self._started:
            if not self.follower.ready.is_set():
                raise UnavailableError(
                    f"the index is loading ({self.follower.loading:,} signals so far)",
                    hint="retry in a few seconds; GET /readyz says when it is ready",
                )
        else:
            self.follower.ensure_loaded()
            self.follower.sync_if_older(self.settings.index_refresh_seconds)
        return self.follower.matcher

    @property
    def policy(self) -> Policy:
        """The active policy (the built-in one until one is activated). Started (a server):
        kept current by the ``policy`` worker and this process's activations. Unstarted
        (the command line): loaded on first use, re-read after ``index_refresh_seconds``."""
        if not self._started:
            self.policies.sync_if_older(self.settings.index_refresh_seconds)
        return self.policies.policy

    def _on_policy_events(self, events: Sequence[Event]) -> None:
        if any(isinstance(e, PolicyActivated) for e in events):
            self.policies.sync()  # this process's own activation takes effect at once

    @property
    def keyring(self) -> auth.Keyring:
        """Every API key, in memory (a server loads them at start, before the indexes)."""
        if not self._started:
            self.follower.ensure_loaded()
            self.follower.sync_if_older(self.settings.index_refresh_seconds)
        return self.follower.keyring

    def index_status(self) -> list[IndexStatus]:
        return self.follower.status()

    @property
    def ready(self) -> bool:
        """True once the catalog is loaded: lookups answer from the whole database."""
        return self.follower.loaded

    @cached_property
    def ledger(self) -> Ledger:
        """The ledger configured by the settings (a dev key is generated when missing)."""
        return _build.ledger_from_settings(self.settings, self.engine, self.writer_lock)

    @cached_property
    def vault(self) -> evidence.Vault:
        """The evidence vault configured by the settings (``AMPARO_EVIDENCE_*``)."""
        return _build.evidence_vault(self.settings)

    def credential_box(self) -> CredentialBox:
        """The box that encrypts stored exchange credentials (``AMPARO_SECRET_KEY``)."""
        return _build.credential_box(self.settings)

    def signing_credentials(self) -> tuple[bytes, bytes]:
        """The configured C2PA signing certificate chain and key (PEM), for stamping."""
        return _build.signing_credentials(self.settings)

    # -- units of work ----------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[UnitOfWork]:
        """One unit of work: commits with its events written to the ledger when the block
        succeeds, rolls back when it raises; then announces the events."""
        uow = self.sessions()
        try:
            yield uow
            events = uow.take_events()
            ledger.append(uow, events)
            uow.commit()
        except BaseException:
            uow.rollback()
            raise
        finally:
            uow.close()
        self._announce(events)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with the events of every unit of work, after its commit."""
        self._listeners.append(listener)

    def _announce(self, events: Sequence[Event]) -> None:
        if not events:
            return
        if any(e.changes_catalog for e in events):
            # This process reads its own writes at once (keys and banks even while the
            # indexes are still loading).
            if self.follower.loaded:
                self.follower.sync()
            elif self._started:
                self.follower.load_keys()
        if self._started and any(isinstance(e, _QUEUES_DELIVERY) for e in events):
            self._wake("webhooks")
        for listener in self._listeners:
            try:
                listener(events)
            except Exception:  # a listener never undoes a commit
                log.exception("event listener %r failed", listener)

    # -- workers ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background workers: change feed (its first round loads the indexes),
        scan writer, ledger, key use, webhook delivery, noticed items (the re-upload
        check's). Keys and banks are loaded before this returns. Sets the process's C heap
        up for serving (:func:`amparo.heap.keep_freed_memory`).
        """
        if self._started:
            return
        heap.keep_freed_memory()
        self.follower.load_keys()
        self.policies.sync()  # decided by the active policy from the first scan
        self._started = True
        settings = self.settings
        self.scans.start()
        self._workers = [
            PeriodicWorker("catalog", settings.index_refresh_seconds, self.follower.sync),
            PeriodicWorker(
                "ledger",
                settings.ledger_checkpoint_seconds,
                self.ledger.round,
                first_delay=settings.ledger_checkpoint_seconds,
            ),
            PeriodicWorker("key-use", 60.0, self._record_key_use, final_round=True),
            PeriodicWorker(
                "policy",
                settings.index_refresh_seconds,
                self.policies.sync,
                first_delay=settings.index_refresh_seconds,
            ),
            PeriodicWorker(
                "evidence-purge",
                settings.evidence_purge_seconds,
                self.purge_evidence,
                first_delay=settings.evidence_purge_seconds,
            ),
            PeriodicWorker(
                "accountability",
                settings.accountability_worker_seconds,
                self.accountability.round,
                first_delay=settings.accountability_worker_seconds,
            ),
            PeriodicWorker("webhooks", settings.webhook_poll_seconds, self.deliverer.round),
            PeriodicWorker("noticed", settings.index_refresh_seconds, self._read_noticed),
        ]
        if settings.index_snapshot_seconds > 0:
            every = settings.index_snapshot_seconds
            self._workers.append(
                PeriodicWorker(
                    "snapshot",
                    every,
                    self.follower.save_snapshot,
                    first_delay=min(every, 60.0),
                    final_round=True,
                )
            )
        for worker in self._workers:
            worker.start()

    def _read_noticed(self) -> None:
        """Read the items noticed since the last round, for the re-upload check of every
        scan: a scan's commit then finds next to nothing new to read (at start, or after a
        bulk notice, it would read them all)."""
        with self.sessions() as s:
            load_noticed(s)

    def worker(self, name: str) -> PeriodicWorker:
        """The started worker called ``name`` (catalog, ledger, key-use, policy,
        evidence-purge, accountability, webhooks, noticed)."""
        for worker in self._workers:
            if worker.name == name:
                return worker
        raise LookupError(f"no running worker {name!r}")

    def purge_evidence(self, principal: auth.Principal | None = None) -> list[str]:
        """Purge every evidence item whose retention ended and that no hold keeps, in
        batches of one transaction each; the ids purged. The ``evidence-purge`` job calls
        it without a principal; a person's purge (an admin's) is recorded under their name."""
        purged: list[str] = []
        while True:
            with self.session() as uow:
                batch = self.vault.purge(uow, now=utcnow(), principal=principal, limit=_PURGE_BATCH)
            purged.extend(item.item_id for item in batch)
            if len(batch) < _PURGE_BATCH:
                return purged

    def _wake(self, name: str) -> None:
        for worker in self._workers:
            if worker.name == name:
                worker.wake()

    def _record_key_use(self) -> None:
        used = self.follower.keyring.take_used()
        if used:
            with self.sessions() as uow, uow.begin():
                auth.record_use(uow, used)

    def stop(self) -> None:
        """Stop the workers, committing what is queued; the runtime goes on unstarted."""
        self.deliverer.stop()
        for worker in self._workers:
            worker.stop()
        self._workers = []
        self.deliverer.close()
        self.scans.stop()
        self._started = False

    def close(self) -> None:
        """:meth:`stop`, then release the database."""
        self.stop()
        self.writer_lock.close()
        self.engine.dispose()


def _shown(url: str) -> str:
    """The URL as it can be printed: its password masked (or the text, if not a URL)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _first_line(exc: BaseException) -> str:
    """The driver's message, first line only (psycopg adds hints and SQLAlchemy links)."""
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__
