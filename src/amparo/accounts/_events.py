"""Events of console accounts: created, disabled, logged in, refused, logged out."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["UserCreated", "UserDisabled", "UserLoggedIn", "UserLoggedOut", "UserLoginFailed"]


@dataclass(frozen=True)
class UserCreated(Event):
    kind = "user.create"

    user_id: int
    name: str
    role: str


@dataclass(frozen=True)
class UserDisabled(Event):
    kind = "user.disable"

    user_id: int
    name: str


@dataclass(frozen=True)
class UserLoggedIn(Event):
    kind = "user.login"

    user_id: int
    name: str


@dataclass(frozen=True)
class UserLoginFailed(Event):
    """A refused login of an existing account: ``reason`` is ``password``, ``totp``,
    ``replayed_totp``, ``locked`` or ``disabled``; ``locked_until`` is set when this failure
    locked the account."""

    kind = "user.login_failed"

    user_id: int
    name: str
    reason: str
    failures: int
    locked_until: str | None


@dataclass(frozen=True)
class UserLoggedOut(Event):
    kind = "user.logout"

    user_id: int
    name: str
