"""The outbox: actions written in the transaction of what caused them, delivered after.

:func:`enqueue` inserts a row in the caller's unit of work, so the action exists exactly
when the scan (or whatever caused it) is committed: a crash before the commit loses both,
a crash after it loses neither, and the deliverer (:mod:`amparo.actions._deliver`) sends it
once it is committed. The action's id is the Standard Webhooks ``webhook-id``, the same on
every try, so a receiver that saw it already can drop a repeat.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast, get_args

from amparo import inputs
from amparo.actions import _repo
from amparo.actions._events import ActionQueued, ActionRetried
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.store import OutboxRow, UnitOfWork, utcnow

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "Action",
    "ActionStatus",
    "enqueue",
    "list_actions",
    "retry_actions",
]

ActionStatus = Literal["pending", "delivered", "dead"]
STATUSES: tuple[str, ...] = get_args(ActionStatus)

MAX_PAYLOAD_BYTES = 256 * 1024
"""Largest payload, as JSON: a decision with its matches and evidence fits many times."""

_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_ID = re.compile(r"msg_[0-9a-f]{32}")


@dataclass(frozen=True)
class Action:
    """One outbox row as callers see it."""

    id: str
    event_type: str
    endpoint: str
    status: ActionStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    payload: Mapping[str, Any]

    def to_dict(self) -> dict[str, object]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "event_type": self.event_type,
            "endpoint": self.endpoint,
            "status": self.status,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": iso(self.next_attempt_at),
            "delivered_at": iso(self.delivered_at),
            "last_status": self.last_status,
            "last_error": self.last_error,
            "payload": dict(self.payload),
        }


def _view(row: OutboxRow) -> Action:
    return Action(
        id=row.id,
        event_type=row.event_type,
        endpoint=row.endpoint,
        status=cast(ActionStatus, row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if row.status == _repo.PENDING else None,
        delivered_at=row.delivered_at,
        last_status=row.last_status,
        last_error=row.last_error,
        payload=row.payload,
    )


def _check_payload(payload: Mapping[str, object]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise InputError(
            f"the action's payload is a {type(payload).__name__}, not a mapping",
            hint="give a mapping of names to JSON values; it becomes the webhook's data",
        )
    try:
        text = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the action's payload is not JSON: {exc}",
            hint="give a mapping of strings, numbers, booleans, lists and mappings",
        ) from None
    if len(text) > MAX_PAYLOAD_BYTES:
        raise InputError(
            f"the action's payload is {len(text):,} bytes as JSON; the limit is "
            f"{MAX_PAYLOAD_BYTES:,}",
            hint="send identifiers and let the receiver fetch the details",
        )
    data: dict[str, Any] = json.loads(text)
    inputs.check_json(data, what="the action's payload")
    return data


_ENDPOINTS = "amparo.actions.endpoint_ids"


def _endpoint_id(uow: UnitOfWork, name: str) -> int:
    """The id of endpoint ``name``, looked up once per unit of work (a group commit of many
    scans queues many actions to the same few endpoints)."""
    known: dict[str, int] = uow.info.setdefault(_ENDPOINTS, {})
    if name not in known:
        inputs.check_text(name, what="the endpoint name")
        with uow.no_autoflush:  # what the caller added goes out in one flush, at its commit
            known[name] = _repo.endpoint_row(uow, name).id
    return known[name]


def enqueue(
    uow: UnitOfWork,
    *,
    event_type: str,
    payload: Mapping[str, object],
    endpoint: str,
) -> str:
    """Queue a webhook of ``event_type`` (dotted lower case, e.g. ``scan.decision``)
    carrying ``payload`` to the endpoint named ``endpoint``, in the caller's unit of work;
    returns the action's id (its ``webhook-id``).

    Nothing is sent until the unit of work commits; then a server's deliverer sends it
    (woken at once in the committing process). :class:`NotFoundError` for an unknown
    endpoint, :class:`InputError` for a bad event type or a payload that is not JSON
    (or holds NUL characters, or is over :data:`MAX_PAYLOAD_BYTES`). Don't commit the unit
    of work yourself; raising rolls the cause and the action back together.
    """
    if (
        not isinstance(event_type, str)
        or len(event_type) > 128
        or not _EVENT_TYPE.fullmatch(event_type)
    ):
        raise InputError(
            f"invalid action event type {event_type!r}",
            hint="use dotted lower-case words of at most 128 characters, e.g. scan.decision",
        )
    data = _check_payload(payload)
    endpoint_id = _endpoint_id(uow, endpoint)
    now = utcnow()
    row = OutboxRow(
        id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        payload=data,
        endpoint_id=endpoint_id,
        endpoint=endpoint,
        status=_repo.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    uow.add(row)
    uow.emit(ActionQueued(row.id, event_type, endpoint))
    return row.id


def _check_status(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise InputError(
            f"unknown action status {status!r}", hint=f"use one of: {', '.join(STATUSES)}"
        )
    return status


def list_actions(uow: UnitOfWork, *, status: str | None = None, limit: int = 100) -> list[Action]:
    """Actions, newest first, all or those with ``status`` (pending, delivered, dead)."""
    if not 1 <= limit <= 10_000:
        raise InputError(f"limit {limit} is out of range", hint="give 1 to 10000")
    rows = _repo.outbox_rows(uow, status=_check_status(status), limit=limit)
    return [_view(row) for row in rows]


def retry_actions(
    uow: UnitOfWork, ids: Sequence[str] = (), *, all_dead: bool = False, by: str
) -> list[str]:
    """Send dead-lettered actions again: those in ``ids``, or every one with ``all_dead``.
    Each gets a fresh set of tries from now and an ``action.retry`` ledger entry naming
    ``by``; returns their ids.

    :class:`NotFoundError` for an unknown id, :class:`ConflictError` for one that is not
    dead or whose endpoint was removed; nothing is retried then.
    """
    if bool(ids) == all_dead:
        raise InputError(
            "name the actions to retry, or ask for all dead ones",
            hint="amparo actions retry ID... or --all-dead (API: ids or all_dead)",
        )
    for action_id in ids:
        if not isinstance(action_id, str) or not _ID.fullmatch(action_id):
            raise InputError(
                f"{action_id!r} is not an action id",
                hint="ids look like msg_ and 32 hex digits; see `amparo actions list`",
            )
    if all_dead:
        rows = _repo.outbox_rows(uow, status=_repo.DEAD, limit=1_000_000)
    else:
        wanted = list(dict.fromkeys(ids))
        rows = _repo.outbox_rows(uow, status=None, limit=len(wanted), ids=wanted)
        missing = set(wanted) - {row.id for row in rows}
        if missing:
            raise NotFoundError(
                f"no action {sorted(missing)[0]!r}", hint="list them with `amparo actions list`"
            )
    now = utcnow()
    for row in rows:
        if row.status != _repo.DEAD:
            raise ConflictError(
                f"action {row.id} is {row.status}; only dead actions are retried",
                hint="list them with `amparo actions list --status dead`",
            )
        if row.endpoint_id is None:  # removed: sent to an endpoint added again by that name
            again = _repo.endpoint_id_of(uow, row.endpoint)
            if again is None:
                raise ConflictError(
                    f"action {row.id}'s endpoint {row.endpoint!r} was removed",
                    hint="add it again (amparo actions endpoints add NAME URL), then retry",
                )
            row.endpoint_id = again
        row.status = _repo.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.claim_token = None
        row.claimed_until = None
        uow.emit(ActionRetried(row.id, row.event_type, row.endpoint, by))
    return [row.id for row in rows]
