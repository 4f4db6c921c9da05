"""Fetching an exchange into its bank, one committed batch per delta.

:func:`start_fetch` claims the exchange (a lease, so two fetches never interleave; a crashed
one's lease expires after :data:`LEASE`) and opens its credentials; :meth:`FetchRun.run`
streams the API's ``fetch_iter`` deltas. Each delta is applied, its checkpoint saved and an
``exchange.fetch`` ledger record written in one transaction, then committed, so an
interrupted fetch resumes after the last committed delta and memory holds one delta at a time.

A fetch with no usable checkpoint (the first, a stale one, or an API that always sends
everything) is *full*: when it completes, entries of the exchange it did not see are deleted
(the sweep), which is how retractions are applied for APIs without tombstones.

Don't hold a session across :meth:`FetchRun.run`; it opens its own, one per batch.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from amparo import banks
from amparo.banks import ApplyCounts, NewEntry, Retraction, Transactions
from amparo.errors import AmparoError, ConfigError, ConflictError, FetchError, InputError
from amparo.exchanges._apis import EXCHANGE_APIS, ExchangeApiSpec, resolve_api
from amparo.exchanges._convert import ExchangeItem
from amparo.exchanges._events import ExchangeFetched
from amparo.exchanges._repo import bank_name, exchange_row
from amparo.exchanges._secrets import CredentialBox
from amparo.exchanges._state import (
    LEASE,
    FetchState,
    checkpoint_from_json,
    checkpoint_to_json,
)
from amparo.store import EntryRow, ExchangeRow, SignalRow, UnitOfWork, utcnow

__all__ = ["FetchProgress", "FetchResult", "FetchRun", "fetch_exchange", "start_fetch"]

log = logging.getLogger(__name__)

_CHUNK = 1000
# The threatexchange signal types asked for (the sample exchange returns examples of these).
SIGNAL_TYPE_CLASSES = (PdqSignal, VideoMD5Signal)
_SWEEP_CHUNK = 1000


@dataclass(frozen=True)
class FetchProgress:
    """Reported after each committed batch. ``phase``: "fetch", then "sweep" for full fetches."""

    exchange: str
    phase: str
    batches: int
    counts: ApplyCounts
    full: bool


@dataclass(frozen=True)
class FetchResult:
    exchange: str
    batches: int
    counts: ApplyCounts
    full: bool
    swept: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "batches": self.batches,
            "full": self.full,
            "swept": self.swept,
            **self.counts.to_dict(),
        }


def _scrub(message: str, credentials: Mapping[str, str] | None) -> str:
    for value in (credentials or {}).values():
        if len(value) >= 4:
            message = message.replace(value, "***")
    return message[:2000]


class FetchRun:
    """A claimed fetch of one exchange; call :meth:`run` once."""

    def __init__(
        self,
        sessions: Transactions,
        row: ExchangeRow,
        bank: str,
        spec: ExchangeApiSpec,
        state: FetchState,
        credentials: dict[str, str] | None,
    ) -> None:
        self._sessions = sessions
        self._id = row.id
        self.name = row.name
        self._bank_id = row.bank_id
        self._bank = bank
        self._config = dict(row.config or {})
        self._spec = spec
        self._state = state
        self._credentials = credentials
        self._token = state.lease_token

    def run(self, progress: Callable[[FetchProgress], None] | None = None) -> FetchResult:
        """Fetch until the exchange has nothing more; raises :class:`FetchError` on failure."""
        try:
            return self._run(progress or (lambda _: None))
        except AmparoError as exc:
            self._fail(exc.message)
            raise
        except Exception as exc:
            message = _scrub(f"{type(exc).__name__}: {exc}", self._credentials)
            self._fail(message)
            raise FetchError(
                f"fetching exchange {self.name!r} failed: {message}",
                hint="check the exchange's settings and credentials and the network; the next "
                "fetch resumes after the last saved batch",
            ) from None
        except BaseException:
            self._fail("interrupted")
            raise

    def _run(self, progress: Callable[[FetchProgress], None]) -> FetchResult:
        api = self._spec.make_api(self.name, self._config, self._credentials)
        state = self._state
        checkpoint = None
        if state.checkpoint is not None:
            checkpoint = checkpoint_from_json(api.get_checkpoint_cls(), state.checkpoint)
        if checkpoint is None or checkpoint.is_stale():
            checkpoint = None
            state = replace(state, checkpoint=None, progress_ts=None, sweep_since=utcnow())
        full = state.sweep_since is not None
        batches, total = 0, ApplyCounts()
        for delta in api.fetch_iter(SIGNAL_TYPE_CLASSES, checkpoint):
            items = (self._spec.convert(k, v, self._config) for k, v in delta.updates.items())
            if delta.checkpoint is not None:
                state = replace(
                    state,
                    checkpoint=checkpoint_to_json(delta.checkpoint),
                    progress_ts=delta.checkpoint.get_progress_timestamp(),
                )
            with self._sessions() as s:
                row = self._own(s)
                counts = self._apply(s, items)
                state = self._save(row, state)
                row.fetched_items += counts.items
                batches += 1
                s.emit(self._event("fetch", batches, counts, state))
            total += counts
            progress(FetchProgress(self.name, "fetch", batches, total, full))
        swept = 0
        if full and state.sweep_since is not None:
            swept = self._sweep(state.sweep_since, batches, total, progress)
        with self._sessions() as s:
            row = self._own(s)
            row.checkpoint = replace(
                state, sweep_since=None, lease_token=None, lease_until=None
            ).to_json()
            row.last_fetch_succeeded_at = utcnow()
            row.last_fetch_error = None
        return FetchResult(
            self.name, batches, replace(total, removed=total.removed + swept), full, swept
        )

    def _apply(self, uow: UnitOfWork, items: Iterator[ExchangeItem]) -> ApplyCounts:
        """Apply one delta's items, a chunk at a time (bounded queries and memory)."""
        counts = ApplyCounts()
        seen_at = utcnow()
        while chunk := list(itertools.islice(items, _CHUNK)):
            batch: list[NewEntry | Retraction] = []
            unusable = 0
            for item in chunk:
                unusable += item.unusable
                if not item.signals:
                    batch.append(Retraction(item.source_id))
                    continue
                batch.append(
                    NewEntry(
                        signals=dict(item.signals),
                        source=self.name,
                        source_id=item.source_id,
                        category=item.category,
                        tags=item.tags,
                        metadata=dict(item.metadata) if item.metadata else None,
                    )
                )
            counts += banks.apply_batch(
                uow,
                bank_id=self._bank_id,
                source=self.name,
                items=batch,
                seen_at=seen_at,
                unusable=unusable,
            )
            for obj in list(uow.identity_map.values()):  # bound the session's memory
                if isinstance(obj, EntryRow | SignalRow):
                    uow.expunge(obj)
        return counts

    def _event(
        self, phase: str, batch: int, counts: ApplyCounts, state: FetchState
    ) -> ExchangeFetched:
        return ExchangeFetched(
            exchange_id=self._id,
            exchange=self.name,
            api=self._spec.name,
            bank=self._bank,
            phase=phase,
            batch=batch,
            full=state.sweep_since is not None,
            items=counts.items,
            added=counts.added,
            updated=counts.updated,
            removed=counts.removed,
            unchanged=counts.unchanged,
            unusable=counts.unusable,
            checkpoint=state.checkpoint,
        )

    def _sweep(
        self,
        since: datetime,
        batches: int,
        total: ApplyCounts,
        progress: Callable[[FetchProgress], None],
    ) -> int:
        swept = 0
        while True:
            with self._sessions() as s:
                row = self._own(s)
                n = banks.sweep(
                    s, bank_id=self._bank_id, source=self.name, before=since, action="delete"
                )
                if not n:
                    return swept
                swept += n
                state = self._save(row, self._state_of(row))
                s.emit(self._event("sweep", batches, ApplyCounts(removed=n), state))
            progress(
                FetchProgress(
                    self.name, "sweep", batches, replace(total, removed=total.removed + swept), True
                )
            )

    def _state_of(self, row: ExchangeRow) -> FetchState:
        return FetchState.load(row.api, row.checkpoint)

    def _own(self, s: UnitOfWork) -> ExchangeRow:
        row = exchange_row(s, self.name, for_update=True)
        if row.id != self._id or self._state_of(row).lease_token != self._token:
            raise ConflictError(
                f"another fetch of exchange {self.name!r} took over; this one stopped",
                hint="run one fetch at a time; --force takes over a running fetch",
            )
        return row

    def _save(self, row: ExchangeRow, state: FetchState) -> FetchState:
        state = replace(state, lease_token=self._token, lease_until=utcnow() + LEASE)
        row.checkpoint = state.to_json()
        return state

    def _fail(self, message: str) -> None:
        try:
            with self._sessions() as s:
                row = s.get(ExchangeRow, self._id)
                if row is None:
                    return
                state = self._state_of(row)
                if state.lease_token == self._token:
                    row.checkpoint = replace(state, lease_token=None, lease_until=None).to_json()
                row.last_fetch_error = message
        except Exception:
            log.exception("could not record the failure of fetching %s", self.name)


def start_fetch(
    sessions: Transactions,
    name: str,
    *,
    box: CredentialBox | None,
    apis: Mapping[str, ExchangeApiSpec] = EXCHANGE_APIS,
    force: bool = False,
) -> FetchRun:
    """Claim exchange ``name`` for a fetch and open its credentials.

    Raises :class:`ConflictError` when another fetch holds it (unless ``force``),
    :class:`InputError` when it is disabled, :class:`ConfigError` when its credentials cannot
    be decrypted (also recorded as its last error).
    """
    try:
        with sessions() as s:
            row = exchange_row(s, name, for_update=True)
            if not row.enabled:
                raise InputError(
                    f"exchange {name!r} is disabled",
                    hint=f"enable it first: amparo exchange update {name} --enable",
                )
            spec = resolve_api(row.api, apis)
            now = utcnow()
            state = FetchState.load(row.api, row.checkpoint)
            if state.leased(now) and not force:
                until = state.lease_until.isoformat() if state.lease_until else "?"
                raise ConflictError(
                    f"exchange {name!r} is being fetched already",
                    hint=f"wait for that fetch; if it crashed, its claim lapses at {until} "
                    "(or pass --force)",
                )
            credentials = None
            if row.credentials is not None:
                if box is None:
                    raise ConfigError(f"exchange {name!r} has credentials but no key was given")
                credentials = box.decrypt(row.credentials, exchange=name)
                row.credentials = box.rotate(row.credentials)
            state = replace(state, lease_token=secrets.token_hex(8), lease_until=now + LEASE)
            row.checkpoint = state.to_json()
            row.last_fetch_started_at = now
            row.last_fetch_error = None
            row.fetched_items = 0
            return FetchRun(sessions, row, bank_name(s, row.bank_id), spec, state, credentials)
    except ConfigError as exc:
        with sessions() as s:
            exchange_row(s, name).last_fetch_error = exc.message
        raise


def fetch_exchange(
    sessions: Transactions,
    name: str,
    *,
    box: CredentialBox | None,
    apis: Mapping[str, ExchangeApiSpec] = EXCHANGE_APIS,
    force: bool = False,
    progress: Callable[[FetchProgress], None] | None = None,
) -> FetchResult:
    """Claim and run a fetch of exchange ``name``: :func:`start_fetch` then :meth:`FetchRun.run`."""
    return start_fetch(sessions, name, box=box, apis=apis, force=force).run(progress)
