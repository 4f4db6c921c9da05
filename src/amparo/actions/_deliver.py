"""The deliverer: claims due outbox rows, sends them, records each outcome.

One round runs two lanes; each claims up to twice ``concurrency`` due rows of enabled
endpoints, sends them (all lanes together at most ``concurrency`` at a time), records what
happened and claims again while rows keep coming.

- **PostgreSQL**: rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and stay
  locked until their outcome commits, in the same transaction. Any number of
  ``amparo serve`` processes share the outbox: a row one holds is invisible to the others,
  and a process that dies releases its rows at once (its transaction is rolled back), to be
  sent again by whoever claims them next.
- **SQLite**: a write transaction cannot stay open while webhooks are sent (it would stop
  every other writer), so a row is leased instead: one ``UPDATE`` (atomic under SQLite's
  single writer) gives it a token and an expiry of twice the time the batch may take (four
waves of tries, each within the delivery timeout) plus a second;
  the outcome is recorded only if the lease still holds. A process that dies leaves its
  rows to be claimed again when the lease ends.

Either way a try whose outcome was not committed (the process died after sending) is sent
again with the same ``webhook-id``: receivers that must act once drop ids they have seen.

Outcomes: a 2xx answer delivers (``action.deliver`` in the ledger); a failure schedules the
next try by :class:`~amparo.actions._backoff.Backoff`; the ``max_attempts``-th failure puts
the row in the dead letter (``action.dead``). Single failed tries are kept in the row
(``attempts``, ``last_error``), not in the ledger, which would otherwise grow with every
minute a receiver is down.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from standardwebhooks import Webhook

from amparo.actions import _repo
from amparo.actions._backoff import Backoff
from amparo.actions._endpoints import endpoint_secret
from amparo.actions._events import ActionDeadLettered, ActionDelivered
from amparo.actions._http import Attempt, WebhookSender
from amparo.actions._targets import TargetPolicy
from amparo.errors import ConfigError
from amparo.events import Event
from amparo.exchanges import CredentialBox
from amparo.store import OutboxRow, UnitOfWork, WebhookEndpointRow, utcnow

__all__ = ["Deliverer", "DeliveryOptions"]

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[UnitOfWork]]

_WAVES = 4
_LANES = 2
_MAX_BATCHES = 1_000  # per round: a round ends, and the worker can stop, at least this often


@dataclass(frozen=True)
class DeliveryOptions:
    """How webhooks are delivered (built from the ``AMPARO_WEBHOOK_*`` settings)."""

    timeout: float = 10.0
    max_attempts: int = 10
    backoff: Backoff = field(default_factory=lambda: Backoff(10.0, 3600.0))
    concurrency: int = 8
    policy: TargetPolicy = field(default_factory=TargetPolicy)

    @property
    def batch(self) -> int:
        """Rows one lane claims at once. With every lane's batch out, :data:`_WAVES` waves
        of ``concurrency`` sends are waiting: the database's work per claim and per commit
        is shared by many deliveries, and a batch still ends within ``_WAVES`` timeouts."""
        return max(1, self.concurrency * _WAVES // _LANES)

    @property
    def lease(self) -> timedelta:
        """How long a SQLite claim holds: every wave of sends taking the whole timeout,
        twice over, and a second to record the outcomes."""
        return timedelta(seconds=2 * _WAVES * self.timeout + 1)


@dataclass(frozen=True)
class _Job:
    id: str
    url: str
    headers: dict[str, str]
    body: bytes
    digest: str


def body_of(row: OutboxRow) -> bytes:
    """The Standard Webhooks body: ``type``, ``timestamp`` (when it was queued) and
    ``data``; the same bytes on every try."""
    envelope = {
        "type": row.event_type,
        "timestamp": row.created_at.isoformat(),
        "data": row.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


class Deliverer:
    """Delivers the outbox of the database behind ``session`` (see the module docstring).

    ``session`` opens a unit of work that writes its events to the ledger and commits;
    ``dialect`` is the database's (``postgresql`` claims by row locks, others by lease);
    ``box`` gives the key box that opens endpoint secrets (asked on first use). ``clock``
    (aware UTC datetimes) and ``rng`` drive due times, backoff and signing timestamps: tests
    give ones they control. ``sender`` sends; by default one built from ``options``.
    """

    def __init__(
        self,
        session: SessionFactory,
        *,
        dialect: str,
        options: DeliveryOptions,
        box: Callable[[], CredentialBox],
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        sender: WebhookSender | None = None,
    ) -> None:
        self.options = options
        self._session = session
        self._locking = dialect == "postgresql"
        self._box_factory = box
        self._box: CredentialBox | None = None
        self._clock = clock
        self._rng = rng or random.Random()
        self.sender = sender or WebhookSender(options.policy, options.timeout)
        self._signers: dict[bytes, Webhook] = {}
        self._threads: ThreadPoolExecutor | None = None
        self._lanes: ThreadPoolExecutor | None = None
        self._stopping = False
        self._lock = threading.Lock()

    # -- rounds ---------------------------------------------------------------------------

    def round(self) -> int:
        """Claim, send and record until nothing more is due; how many tries were made.

        :data:`_LANES` lanes do this at once, so that one records and commits its batch
        while another's requests are out (their claims never overlap: locks or leases).
        """
        if self._lanes is None:
            self._lanes = ThreadPoolExecutor(_LANES - 1, thread_name_prefix="amparo-webhook-lane")
        others = [self._lanes.submit(self._drain) for _ in range(_LANES - 1)]
        return self._drain() + sum(lane.result() for lane in others)

    def _drain(self) -> int:
        tried = 0
        for _ in range(_MAX_BATCHES):
            if self._stopping:
                break
            batch = self._batch()
            tried += batch
            if batch < self.options.batch:
                break
        return tried

    def _batch(self) -> int:
        now = self._clock()
        limit = self.options.batch
        if self._locking:
            with self._session() as uow:
                rows = _repo.claim_locked(uow, now, limit)
                jobs = self._jobs(uow, rows, now)
                self._record(uow, rows, self._send(jobs))
            return len(jobs)
        token = secrets.token_hex(16)
        with self._session() as uow:
            if not _repo.any_due(uow, now):
                return 0
            leased = _repo.claim_leased(uow, now, limit, token, now + self.options.lease)
            jobs = self._jobs(uow, _repo.leased_rows(uow, token), now) if leased else []
        if not jobs:
            return 0
        results = self._send(jobs)
        with self._session() as uow:
            self._record(uow, _repo.leased_rows(uow, token), results)
        return len(jobs)

    # -- the parts ------------------------------------------------------------------------

    def _signer(self, endpoint: WebhookEndpointRow) -> Webhook:
        signer = self._signers.get(endpoint.secret)
        if signer is None:
            if self._box is None:
                self._box = self._box_factory()
            signer = Webhook(endpoint_secret(self._box, endpoint.secret, endpoint.name))
            self._signers[endpoint.secret] = signer
        return signer

    def _jobs(self, uow: UnitOfWork, rows: Sequence[OutboxRow], now: datetime) -> list[_Job]:
        jobs = []
        stamp = datetime.fromtimestamp(int(now.timestamp()), now.tzinfo)
        for row in rows:
            endpoint = uow.get(WebhookEndpointRow, row.endpoint_id)
            if endpoint is None:
                continue
            try:
                signer = self._signer(endpoint)
            except ConfigError as exc:  # no try is counted: the key is the operator's to fix
                log.error("webhooks: %s", exc.diagnostics())
                continue
            body = body_of(row)
            headers = {
                "webhook-id": row.id,
                "webhook-timestamp": str(int(stamp.timestamp())),
                "webhook-signature": signer.sign(row.id, stamp, body.decode()),
            }
            jobs.append(_Job(row.id, endpoint.url, headers, body, hashlib.sha256(body).hexdigest()))
        return jobs

    def _send(self, jobs: Sequence[_Job]) -> dict[str, tuple[Attempt, _Job]]:
        def one(job: _Job) -> tuple[Attempt, _Job]:
            return self.sender.send(job.url, job.headers, job.body), job

        if len(jobs) <= 1:
            results = [one(job) for job in jobs]
        else:
            with self._lock:  # the lanes share one pool: ``concurrency`` sends at most
                if self._threads is None:
                    self._threads = ThreadPoolExecutor(
                        self.options.concurrency, thread_name_prefix="amparo-webhook"
                    )
                threads = self._threads
            results = list(threads.map(one, jobs))
        return {job.id: (attempt, job) for attempt, job in results}

    def _record(
        self,
        uow: UnitOfWork,
        rows: Sequence[OutboxRow],
        results: dict[str, tuple[Attempt, _Job]],
    ) -> None:
        """Each outcome, in one statement for all rows (an UPDATE per row costs a round
        trip each on PostgreSQL), and its ledger entry."""
        now = self._clock()
        changes: list[dict[str, object]] = []
        for row in rows:
            if row.id not in results:
                continue
            attempt, job = results[row.id]
            tries = row.attempts + 1
            change: dict[str, object] = {
                "id": row.id,
                "attempts": tries,
                "last_status": attempt.status,
                "last_error": attempt.error,
                "claim_token": None,
                "claimed_until": None,
                "status": _repo.PENDING,
                "next_attempt_at": row.next_attempt_at,
                "delivered_at": None,
            }
            if attempt.ok:
                change.update(status=_repo.DELIVERED, delivered_at=now)
                event: Event = ActionDelivered(
                    row.id, row.event_type, row.endpoint, tries, attempt.status or 0, job.digest
                )
            elif tries >= self.options.max_attempts:
                change.update(status=_repo.DEAD)
                event = ActionDeadLettered(
                    row.id, row.event_type, row.endpoint, tries, attempt.error or ""
                )
            else:
                wait = self.options.backoff.delay(tries, self._rng)
                change.update(next_attempt_at=now + timedelta(seconds=wait))
                changes.append(change)
                continue
            changes.append(change)
            uow.emit(event)
        _repo.record_outcomes(uow, changes)

    def stop(self) -> None:
        """Make a running :meth:`round` end after its current batch."""
        self._stopping = True

    def close(self) -> None:
        """Release the threads and kept connections (made again if it is used again)."""
        for pool in (self._lanes, self._threads):
            if pool is not None:
                pool.shutdown(wait=True)
        self._lanes = self._threads = None
        self.sender.close()
        self._stopping = False
