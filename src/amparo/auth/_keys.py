from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo import ledger
from amparo.errors import AuthenticationError, InputError, NotFoundError, PermissionDeniedError
from amparo.store import ApiKeyRow, utcnow

ROLES: tuple[str, ...] = ("admin", "curator", "scanner", "reviewer", "auditor")

_KEY_PREFIX = "amp_"
# A digest to compare against when no row matches, so unknown prefixes cost the same time.
_DUMMY_DIGEST = hashlib.sha256(b"amparo-no-such-key").hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role."""

    key_id: int
    name: str
    role: str
    created_at: datetime | None = None
    revoked: bool = False

    def require(self, *roles: str) -> None:
        """Raise :class:`PermissionDeniedError` unless this key has one of ``roles`` (or admin)."""
        if self.role == "admin" or self.role in roles:
            return
        raise PermissionDeniedError(
            f"key {self.name!r} has role {self.role!r}; this needs {' or '.join(roles)}",
            hint="use a key with that role, or ask an admin: amparo keys create --role ROLE",
        )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, *, name: str, role: str) -> tuple[Principal, str]:
    """Create a key; return it with its plaintext, which is never stored or shown again."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint=f"choose one of: {', '.join(ROLES)}")
    if not name.strip() or len(name) > 255:
        raise InputError("a key needs a name of 1 to 255 characters", hint="pass --name NAME")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{_KEY_PREFIX}{prefix}_{secret}"
    row = ApiKeyRow(name=name.strip(), role=role, prefix=prefix, key_hash=_digest(plaintext))
    session.add(row)
    session.flush()
    ledger.record(session, "key.create", {"key_id": row.id, "name": row.name, "role": role})
    return _principal(row), plaintext


def authenticate(session: Session, presented: str | None) -> Principal:
    """The principal of a presented key, or :class:`AuthenticationError`."""
    hint = (
        "send the key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'; "
        "create one with amparo keys create"
    )
    if not presented:
        raise AuthenticationError("an API key is required", hint=hint)
    parts = presented.strip().split("_", 2)
    row = None
    if len(parts) == 3 and f"{parts[0]}_" == _KEY_PREFIX:
        row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == parts[1])).first()
    expected = row.key_hash if row is not None else _DUMMY_DIGEST
    ok = hmac.compare_digest(expected, _digest(presented.strip()))
    if row is None or not ok or row.revoked_at is not None:
        raise AuthenticationError("the API key is wrong or has been revoked", hint=hint)
    now = utcnow()
    # Record use at most once a minute: a write per request would serialise SQLite readers.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return _principal(row)


def list_keys(session: Session) -> list[Principal]:
    return [_principal(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]


def revoke_key(session: Session, key_id: int) -> Principal:
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        raise NotFoundError(f"no key with id {key_id}", hint="list keys with: amparo keys list")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        ledger.record(session, "key.revoke", {"key_id": row.id, "name": row.name})
    return _principal(row)


def _principal(row: ApiKeyRow) -> Principal:
    return Principal(
        key_id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        revoked=row.revoked_at is not None,
    )
