"""API keys: creation, revocation, and authentication from memory (:class:`Keyring`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy.orm import Session

from amparo.auth import _repo
from amparo.auth._events import KeyCreated, KeyRevoked
from amparo.errors import AuthenticationError, InputError, NotFoundError, PermissionDeniedError
from amparo.store import ApiKeyRow, UnitOfWork, utcnow

__all__ = [
    "ROLES",
    "KeyRecord",
    "Keyring",
    "Principal",
    "create_key",
    "key_records",
    "list_keys",
    "record_use",
    "revoke_key",
]

ROLES: tuple[str, ...] = ("admin", "curator", "scanner", "reviewer", "auditor", "investigator")

_KEY_PREFIX = "amp_"
# A digest to compare against when no key matches, so unknown prefixes cost the same time.
_DUMMY_DIGEST = hashlib.sha256(b"amparo-no-such-key").hexdigest()
_HINT = (
    "send the key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'; "
    "create one with amparo keys create"
)


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


@dataclass(frozen=True)
class KeyRecord:
    """What authentication needs of a key: its lookup prefix, digest and principal."""

    prefix: str
    digest: str
    principal: Principal


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(row: ApiKeyRow) -> Principal:
    return Principal(
        key_id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        revoked=row.revoked_at is not None,
    )


def _record(row: ApiKeyRow) -> KeyRecord:
    return KeyRecord(row.prefix, row.key_hash, _principal(row))


def create_key(uow: UnitOfWork, *, name: str, role: str) -> tuple[Principal, str]:
    """Create a key; return it with its plaintext, which is never stored or shown again.

    A key looks like ``amp_<prefix>_<secret>`` and carries 256 bits of randomness, so a fast
    digest (SHA-256) is enough to store it: no password hashing is needed.
    """
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint=f"choose one of: {', '.join(ROLES)}")
    if not name.strip() or len(name) > 255:
        raise InputError("a key needs a name of 1 to 255 characters", hint="pass --name NAME")
    prefix = secrets.token_hex(6)
    plaintext = f"{_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = _repo.insert_key(uow, name.strip(), role, prefix, _digest(plaintext))
    uow.emit(KeyCreated(row.id, row.name, role))
    return _principal(row), plaintext


def list_keys(session: Session) -> list[Principal]:
    """Every key, by id (never their secrets)."""
    return [_principal(r) for r in _repo.key_rows(session)]


def key_records(session: Session, ids: Iterable[int] | None = None) -> list[KeyRecord]:
    """Every key (or these) as authentication needs it."""
    return [_record(r) for r in _repo.key_rows(session, None if ids is None else list(ids))]


def revoke_key(uow: UnitOfWork, key_id: int) -> Principal:
    """Revoke a key (idempotent); requests with it fail from the next catalog sync."""
    row = _repo.key_row(uow, key_id) if 0 < key_id < 2**63 else None
    if row is None:
        raise NotFoundError(f"no key with id {key_id}", hint="list keys with: amparo keys list")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        _repo.log_key_change(uow, row.id)
        uow.emit(KeyRevoked(row.id, row.name))
    return _principal(row)


class Keyring:
    """Every key in memory: authentication without a database round trip. Thread-safe.

    The runtime loads it and keeps it current from the change feed, so a revoked key stops
    working within the refresh interval. Last use is remembered here and written out in
    batches (:meth:`take_used`), never on the request path.
    """

    def __init__(self, records: Iterable[KeyRecord] = ()) -> None:
        self._by_prefix = MappingProxyType({r.prefix: r for r in records})
        self._used: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def put(self, records: Iterable[KeyRecord]) -> None:
        """Add or replace keys."""
        fresh = {r.prefix: r for r in records}
        with self._lock:
            self._by_prefix = MappingProxyType({**self._by_prefix, **fresh})

    def __len__(self) -> int:
        return len(self._by_prefix)

    def authenticate(self, presented: str | None) -> Principal:
        """The principal of a presented key, or :class:`AuthenticationError`."""
        if not presented:
            raise AuthenticationError("an API key is required", hint=_HINT)
        text = presented.strip()
        parts = text.split("_", 2)
        record = None
        if len(parts) == 3 and f"{parts[0]}_" == _KEY_PREFIX:
            record = self._by_prefix.get(parts[1])
        expected = record.digest if record is not None else _DUMMY_DIGEST
        ok = hmac.compare_digest(expected, _digest(text))
        if record is None or not ok or record.principal.revoked:
            raise AuthenticationError("the API key is wrong or has been revoked", hint=_HINT)
        self._used[record.principal.key_id] = utcnow()
        return record.principal

    def take_used(self) -> dict[int, datetime]:
        """When each key was last used since the previous call (for a batched write)."""
        with self._lock:
            used, self._used = self._used, {}
        return used


def record_use(session: Session, used: dict[int, datetime]) -> None:
    """Write last-use times taken from :meth:`Keyring.take_used`."""
    _repo.touch(session, used)
