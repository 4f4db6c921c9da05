"""Accounts of people: creation (argon2 password, TOTP secret), listing, disabling."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Protocol

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.accounts._events import UserCreated, UserDisabled
from amparo.auth import ROLES, Principal
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.store import UnitOfWork, UserRow, utcnow

__all__ = [
    "MIN_PASSWORD",
    "NewUser",
    "SecretBox",
    "User",
    "check_password",
    "check_user_name",
    "create_user",
    "disable_user",
    "get_user",
    "list_users",
]

MIN_PASSWORD = 12
"""Shortest password accepted (NIST SP 800-63B asks at least 8; TOTP is the second factor)."""
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_ISSUER = "Amparo"


class SecretBox(Protocol):
    """What encrypts TOTP secrets at rest (the runtime's credential box, keyed by
    ``AMPARO_SECRET_KEY``)."""

    def encrypt(self, fields: Mapping[str, str]) -> bytes: ...

    def decrypt(self, token: bytes, *, exchange: str) -> dict[str, str]: ...


@cache
def hasher() -> PasswordHasher:
    """The argon2id hasher (argon2-cffi's defaults: RFC 9106's low-memory profile)."""
    return PasswordHasher()


@dataclass(frozen=True)
class User:
    """An account as other code sees it: never its password digest or TOTP secret."""

    id: int
    name: str
    role: str
    created_at: datetime
    disabled: bool
    last_login_at: datetime | None

    def principal(self) -> Principal:
        """The principal this person acts as (``kind="user"``)."""
        return Principal(self.id, self.name, self.role, self.created_at, self.disabled, "user")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


@dataclass(frozen=True)
class NewUser:
    """A created account and what is shown only once: the TOTP secret and its URI."""

    user: User
    totp_secret: str
    totp_uri: str


def to_user(row: UserRow) -> User:
    return User(
        row.id, row.name, row.role, row.created_at, row.disabled_at is not None, row.last_login_at
    )


def check_user_name(name: str) -> str:
    """User names: 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(
            f"invalid user name {str(name)[:80]!r}",
            hint="use 1-64 lower-case letters, digits, '.', '_' or '-', e.g. alice",
        )
    return name


def check_password(password: str) -> str:
    """A password of at least :data:`MIN_PASSWORD` characters and at most 1024."""
    if len(password) < MIN_PASSWORD or len(password) > 1024:
        raise InputError(
            f"a password needs {MIN_PASSWORD} to 1024 characters",
            hint="use a passphrase of several words",
        )
    return password


def create_user(uow: UnitOfWork, *, name: str, role: str, password: str, box: SecretBox) -> NewUser:
    """Create an account with a new TOTP secret; the secret is returned once and stored
    only encrypted."""
    check_user_name(name)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint=f"choose one of: {', '.join(ROLES)}")
    check_password(password)
    if uow.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
        raise ConflictError(f"a user named {name!r} already exists", hint="choose another name")
    secret = pyotp.random_base32()
    row = UserRow(
        name=name,
        role=role,
        password_hash=hasher().hash(password),
        totp_secret=box.encrypt({"totp": secret}),
        last_totp_step=0,
        failed_logins=0,
        streak_items=0,
        created_at=utcnow(),
    )
    uow.add(row)
    try:
        uow.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        raise ConflictError(f"a user named {name!r} already exists") from exc
    uow.emit(UserCreated(row.id, name, role))
    uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=_ISSUER)
    return NewUser(to_user(row), secret, uri)


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return [to_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def user_row(session: Session, name: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise NotFoundError(f"no user named {name!r}", hint="list users with: amparo users list")
    return row


def get_user(session: Session, name: str) -> User:
    """The account called ``name``, or :class:`NotFoundError`."""
    return to_user(user_row(session, name))


def disable_user(uow: UnitOfWork, name: str) -> User:
    """Disable an account (idempotent): its sessions stop working at once."""
    row = user_row(uow, name)
    if row.disabled_at is None:
        row.disabled_at = utcnow()
        uow.flush()
        uow.emit(UserDisabled(row.id, row.name))
    return to_user(row)
