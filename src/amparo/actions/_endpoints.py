"""Webhook endpoints: named receivers an operator configures, each with its own secret.

A secret is a Standard Webhooks signing secret, ``whsec_`` and the base64 of 24-64 random
bytes. Given none, one is generated; either way it is returned once, to the person adding
the endpoint (the receiver needs it to verify signatures), and stored only encrypted with
:class:`~amparo.exchanges.CredentialBox` (``AMPARO_SECRET_KEY``). Every change is recorded
in the ledger in the caller's unit of work.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from amparo.actions import _repo
from amparo.actions._events import (
    ActionDeadLettered,
    EndpointCreated,
    EndpointRemoved,
    EndpointUpdated,
)
from amparo.actions._targets import TargetPolicy
from amparo.errors import ConfigError, ConflictError, InputError
from amparo.exchanges import CredentialBox
from amparo.store import UnitOfWork, WebhookEndpointRow, utcnow

__all__ = [
    "SECRET_PREFIX",
    "WebhookEndpoint",
    "check_endpoint_name",
    "create_endpoint",
    "endpoint_secret",
    "list_endpoints",
    "new_secret",
    "remove_endpoint",
    "set_endpoint_enabled",
]

SECRET_PREFIX = "whsec_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class WebhookEndpoint:
    """A configured receiver. Never holds its secret."""

    id: int
    name: str
    url: str
    enabled: bool
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
        }


def _view(row: WebhookEndpointRow) -> WebhookEndpoint:
    return WebhookEndpoint(row.id, row.name, row.url, row.enabled, row.created_at)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what the ledger records of it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def check_endpoint_name(name: str) -> str:
    """1-64 letters, digits, ``_``, ``.``, ``-``, starting with a letter or digit."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(
            f"invalid webhook endpoint name {name!r}",
            hint="use 1-64 letters, digits, '_', '.' or '-', e.g. trust-and-safety",
        )
    return name


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_secret(secret: str) -> str:
    problem = "it must start with whsec_"
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
            problem = "" if 24 <= len(key) <= 64 else f"it holds {len(key)} bytes"
        except (binascii.Error, ValueError):
            problem = "what follows whsec_ is not base64"
    if problem:
        raise InputError(
            f"the webhook secret is not a Standard Webhooks secret: {problem}",
            hint="give whsec_ followed by the base64 of 24-64 random bytes, or give none "
            "and one is generated",
        )
    return secret


def endpoint_secret(box: CredentialBox, token: bytes, name: str) -> str:
    """The stored secret of endpoint ``name``; :class:`ConfigError` if no key opens it."""
    try:
        return box.decrypt(token, exchange=name)["secret"]
    except ConfigError:
        raise ConfigError(
            f"the secret of webhook endpoint {name!r} cannot be decrypted with the current "
            "secret key",
            hint="set AMPARO_SECRET_KEY to the key in use when it was added (NEW,OLD while "
            f"rotating), or add the endpoint again: amparo actions endpoints remove {name}",
        ) from None


def create_endpoint(
    uow: UnitOfWork,
    name: str,
    url: str,
    *,
    box: CredentialBox,
    policy: TargetPolicy,
    by: str,
    secret: str | None = None,
    enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Configure endpoint ``name`` at ``url``; returns it and its secret (``secret``, or a
    new one) — the only time the secret leaves Amparo. :class:`InputError` for a bad name,
    URL or secret; :class:`ConflictError` if the name is taken."""
    check_endpoint_name(name)
    policy.check_url(url)
    secret = new_secret() if secret is None else _check_secret(secret)
    if _repo.endpoint_id_of(uow, name) is not None:
        raise ConflictError(
            f"a webhook endpoint named {name!r} already exists",
            hint="choose another name, or remove it first",
        )
    row = WebhookEndpointRow(
        name=name,
        url=url,
        secret=box.encrypt({"secret": secret}),
        enabled=enabled,
        created_at=utcnow(),
    )
    uow.add(row)
    uow.flush()
    uow.emit(EndpointCreated(row.id, name, origin(url), enabled, by))
    return _view(row), secret


def list_endpoints(uow: UnitOfWork) -> list[WebhookEndpoint]:
    """Every endpoint, by name."""
    return [_view(row) for row in _repo.endpoint_rows(uow)]


def set_endpoint_enabled(uow: UnitOfWork, name: str, enabled: bool, *, by: str) -> WebhookEndpoint:
    """Enable or disable deliveries to ``name`` (a disabled endpoint's actions wait)."""
    row = _repo.endpoint_row(uow, name)
    if row.enabled != enabled:
        row.enabled = enabled
        uow.emit(EndpointUpdated(row.id, row.name, enabled, by))
    return _view(row)


def remove_endpoint(uow: UnitOfWork, name: str, *, by: str) -> int:
    """Remove ``name``; its pending actions go to the dead letter (how many is returned)."""
    row = _repo.endpoint_row(uow, name)
    pending = _repo.pending_of_endpoint(uow, row.id)
    reason = f"endpoint {name!r} was removed"
    for action in pending:
        action.status = _repo.DEAD
        action.last_error = reason
        action.claim_token = None
        action.claimed_until = None
        uow.emit(
            ActionDeadLettered(
                action.id, action.event_type, action.endpoint, action.attempts, reason
            )
        )
    uow.emit(EndpointRemoved(row.id, row.name, len(pending), by))
    uow.delete(row)
    uow.flush()
    return len(pending)
