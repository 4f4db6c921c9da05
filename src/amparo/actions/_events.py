"""Events of actions: endpoints configured and removed, actions queued, delivered,
dead-lettered and retried.

An endpoint's URL is recorded only as its origin (scheme, host, port): paths and queries of
webhook URLs often carry tokens. Secrets and payloads are never recorded; a delivery records
the SHA-256 of the exact body sent, so the receiver's copy can be proven against the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = [
    "ActionDeadLettered",
    "ActionDelivered",
    "ActionQueued",
    "ActionRetried",
    "EndpointCreated",
    "EndpointRemoved",
    "EndpointUpdated",
]


@dataclass(frozen=True)
class EndpointCreated(Event):
    """A webhook endpoint was configured by ``by`` (``key NAME`` or ``cli USER``)."""

    kind = "webhook.endpoint.create"

    endpoint_id: int
    name: str
    origin: str
    enabled: bool
    by: str


@dataclass(frozen=True)
class EndpointUpdated(Event):
    """An endpoint was enabled or disabled."""

    kind = "webhook.endpoint.update"

    endpoint_id: int
    name: str
    enabled: bool
    by: str


@dataclass(frozen=True)
class EndpointRemoved(Event):
    """An endpoint was removed; its ``dead_lettered`` pending actions went to the dead letter
    (each with its own :class:`ActionDeadLettered`)."""

    kind = "webhook.endpoint.delete"

    endpoint_id: int
    name: str
    dead_lettered: int
    by: str


@dataclass(frozen=True)
class ActionQueued(Event):
    """An action was put in the outbox, in the transaction of what caused it."""

    kind = "action.queue"

    action_id: str
    event_type: str
    endpoint: str


@dataclass(frozen=True)
class ActionDelivered(Event):
    """The endpoint answered 2xx to the ``attempts``-th try; ``body_sha256`` is the digest
    of the body it was sent (the same on every try)."""

    kind = "action.deliver"

    action_id: str
    event_type: str
    endpoint: str
    attempts: int
    status_code: int
    body_sha256: str


@dataclass(frozen=True)
class ActionDeadLettered(Event):
    """The action gave up after ``attempts`` tries (or its endpoint was removed): ``reason``
    is the last failure."""

    kind = "action.dead"

    action_id: str
    event_type: str
    endpoint: str
    attempts: int
    reason: str


@dataclass(frozen=True)
class ActionRetried(Event):
    """A person (``by``) sent a dead-lettered action back to the outbox."""

    kind = "action.retry"

    action_id: str
    event_type: str
    endpoint: str
    by: str
