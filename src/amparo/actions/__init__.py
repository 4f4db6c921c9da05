"""Actions: what a decision makes happen outside Amparo, through an outbox, as signed
webhooks.

- :func:`enqueue` puts an action (an event type, a JSON payload, a named endpoint) in the
  outbox **in the caller's unit of work**: it commits exactly with the scan that caused it.
- :class:`Deliverer` (run by the runtime's ``webhooks`` worker) sends due actions per the
  Standard Webhooks spec (``webhook-id`` = the action's id, the same on every try;
  ``webhook-timestamp``; ``webhook-signature``, HMAC-SHA256 with the endpoint's ``whsec_``
  secret), retries with exponential backoff and full jitter (:class:`Backoff`) and, after
  ``max_attempts`` failures, moves the action to the dead letter, from which
  :func:`retry_actions` sends it again. Several servers on one PostgreSQL database share the
  outbox without sending an action twice (``FOR UPDATE SKIP LOCKED``).
- Endpoints (:func:`create_endpoint` ...) are configured by operators; their secrets are
  stored encrypted.

Every change and outcome is a typed ledger event (``webhook.endpoint.*``, ``action.queue``,
``action.deliver``, ``action.dead``, ``action.retry``).
"""

from amparo.actions._backoff import Backoff
from amparo.actions._deliver import Deliverer, DeliveryOptions
from amparo.actions._endpoints import (
    SECRET_PREFIX,
    WebhookEndpoint,
    check_endpoint_name,
    create_endpoint,
    list_endpoints,
    new_secret,
    remove_endpoint,
    set_endpoint_enabled,
)
from amparo.actions._events import (
    ActionDeadLettered,
    ActionDelivered,
    ActionQueued,
    ActionRetried,
    EndpointCreated,
    EndpointRemoved,
    EndpointUpdated,
)
from amparo.actions._http import Attempt, WebhookSender
from amparo.actions._outbox import (
    MAX_PAYLOAD_BYTES,
    Action,
    ActionStatus,
    enqueue,
    list_actions,
    retry_actions,
)
from amparo.actions._targets import TargetPolicy, parse_networks

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SECRET_PREFIX",
    "Action",
    "ActionDeadLettered",
    "ActionDelivered",
    "ActionQueued",
    "ActionRetried",
    "ActionStatus",
    "Attempt",
    "Backoff",
    "Deliverer",
    "DeliveryOptions",
    "EndpointCreated",
    "EndpointRemoved",
    "EndpointUpdated",
    "TargetPolicy",
    "WebhookEndpoint",
    "WebhookSender",
    "check_endpoint_name",
    "create_endpoint",
    "enqueue",
    "list_actions",
    "list_endpoints",
    "new_secret",
    "parse_networks",
    "remove_endpoint",
    "retry_actions",
    "set_endpoint_enabled",
]
