"""Logging in to the console (argon2 password + TOTP, with lockout) and its sessions.

A login that fails still changes the account (its failure count, maybe a lockout), so
:func:`login` never raises for a refused login: it returns a :class:`LoginOutcome` whose
``error`` the adapter raises *after* the unit of work committed. A session is a random
token in an HttpOnly cookie; the database keeps only its SHA-256, with the session's CSRF
token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.accounts._events import UserLoggedIn, UserLoggedOut, UserLoginFailed
from amparo.accounts._users import SecretBox, User, hasher, to_user
from amparo.errors import AmparoError, AuthenticationError, ConfigError
from amparo.store import UnitOfWork, UserRow, UserSessionRow, utcnow

__all__ = [
    "LockedOutError",
    "LoginOutcome",
    "LoginPolicy",
    "SessionView",
    "end_session",
    "login",
    "session_view",
]

_STEP = 30  # seconds per TOTP code (RFC 6238's default, what authenticator apps use)
_MAX_LOCK = timedelta(days=1)
_WRONG = "the user name, password or one-time code is wrong"
_WRONG_HINT = "check them and try again; the code changes every 30 seconds"


class LockedOutError(AuthenticationError):
    """Too many failed logins: the account is locked for a while (HTTP 429)."""

    status_code = 429
    code = "locked_out"


@dataclass(frozen=True)
class LoginPolicy:
    """Lockout rules and session length (from ``AMPARO_REVIEW_*`` settings)."""

    max_failures: int = 5
    lockout_seconds: int = 60
    session_seconds: float = 8 * 3600.0


@dataclass(frozen=True)
class SessionView:
    """A live console session: who, its CSRF token, and the person's break state."""

    session_id: str
    user: User
    csrf: str
    expires_at: datetime
    break_until: datetime | None


@dataclass(frozen=True)
class LoginOutcome:
    """A login's result: the cookie token and session, or the error to raise after commit."""

    token: str | None = None
    session: SessionView | None = None
    error: AmparoError | None = None


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def _password_ok(digest: str, password: str) -> bool:
    try:
        return hasher().verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` is valid for (now, or one step either side), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _fail(uow: UnitOfWork, row: UserRow, reason: str, policy: LoginPolicy, now: datetime) -> None:
    row.failed_logins += 1
    locked = None
    over = row.failed_logins - policy.max_failures
    if over >= 0:
        wait = min(timedelta(seconds=policy.lockout_seconds * 2 ** min(over, 20)), _MAX_LOCK)
        row.locked_until = locked = now + wait
    uow.flush()
    uow.emit(
        UserLoginFailed(
            row.id, row.name, reason, row.failed_logins, locked.isoformat() if locked else None
        )
    )


def _locked(until: datetime) -> LockedOutError:
    return LockedOutError(
        f"this account is locked after too many failed logins, until {until:%H:%M:%S} UTC",
        hint="wait until then, or ask an admin",
    )


def login(
    uow: UnitOfWork,
    *,
    name: str,
    password: str,
    code: str,
    box: SecretBox,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a password and a TOTP code (each code once: a replayed one is refused) and
    open a session; a failure counts towards a lockout that doubles with each further one.

    Every refusal of an existing account is ledgered with its precise reason; the person
    only learns that the name, password or code was wrong (or that the account is locked).
    """
    now = now or utcnow()
    wrong = AuthenticationError(_WRONG, hint=_WRONG_HINT)
    row = uow.scalar(select(UserRow).where(UserRow.name == name).with_for_update())
    if row is None:
        _password_ok(_dummy_hash(), password)  # the same time as for a real account
        return LoginOutcome(error=wrong)
    if row.disabled_at is not None:
        uow.emit(UserLoginFailed(row.id, row.name, "disabled", row.failed_logins, None))
        return LoginOutcome(error=wrong)
    if row.locked_until is not None and now < row.locked_until:
        uow.emit(UserLoginFailed(row.id, row.name, "locked", row.failed_logins, None))
        return LoginOutcome(error=_locked(row.locked_until))
    if not _password_ok(row.password_hash, password):
        _fail(uow, row, "password", policy, now)
        return LoginOutcome(error=_locked(row.locked_until) if row.locked_until else wrong)
    try:
        secret = box.decrypt(row.totp_secret, exchange=f"user {row.name}")["totp"]
    except ConfigError as exc:
        raise ConfigError(
            f"the TOTP secret of user {row.name!r} cannot be decrypted with AMPARO_SECRET_KEY",
            hint="set the secret key the account was created with (a rotated key goes "
            "after the new one: NEW,OLD), or create the account again",
        ) from exc
    step = _totp_step(secret, code, now)
    if step is None or step <= row.last_totp_step:
        _fail(uow, row, "totp" if step is None else "replayed_totp", policy, now)
        return LoginOutcome(error=_locked(row.locked_until) if row.locked_until else wrong)
    row.last_totp_step = step
    row.failed_logins = 0
    row.locked_until = None
    row.last_login_at = now
    token = secrets.token_urlsafe(32)
    session = UserSessionRow(
        id=session_digest(token),
        user_id=row.id,
        csrf=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(seconds=policy.session_seconds),
    )
    uow.add(session)
    uow.flush()
    uow.emit(UserLoggedIn(row.id, row.name))
    view = SessionView(session.id, to_user(row), session.csrf, session.expires_at, row.break_until)
    return LoginOutcome(token=token, session=view)


def session_view(session: Session, token: str | None, now: datetime | None = None) -> SessionView:
    """The live session of a cookie token, or :class:`AuthenticationError` (no cookie, an
    unknown, ended or expired session, a disabled account)."""
    now = now or utcnow()
    if not token or len(token) > 256:
        raise AuthenticationError("please log in", hint="log in at /review/login")
    found = session.execute(
        select(UserSessionRow, UserRow)
        .join(UserRow, UserRow.id == UserSessionRow.user_id)
        .where(UserSessionRow.id == session_digest(token))
    ).first()
    if found is None:
        raise AuthenticationError("your session is unknown; please log in again")
    srow, urow = found[0], found[1]
    if srow.ended_at is not None or srow.expires_at <= now or urow.disabled_at is not None:
        raise AuthenticationError("your session has ended; please log in again")
    return SessionView(srow.id, to_user(urow), srow.csrf, srow.expires_at, urow.break_until)


def end_session(uow: UnitOfWork, session_id: str) -> None:
    """Log out: the session stops working at once (idempotent)."""
    found = uow.execute(
        select(UserSessionRow, UserRow)
        .join(UserRow, UserRow.id == UserSessionRow.user_id)
        .where(UserSessionRow.id == session_id)
    ).first()
    if found is None:
        return
    srow, urow = found[0], found[1]
    if srow.ended_at is None:
        srow.ended_at = utcnow()
        uow.flush()
        uow.emit(UserLoggedOut(urow.id, urow.name))
