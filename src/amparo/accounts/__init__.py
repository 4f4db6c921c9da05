"""Accounts of people who use the review console: argon2 passwords, TOTP, sessions, breaks.

API keys stay for machines; people log in with a name, a password (stored as an argon2id
digest) and a TOTP code (the secret stored encrypted with ``AMPARO_SECRET_KEY``). A login
opens a session held in a Secure, HttpOnly, SameSite=Strict cookie; the database keeps
only the session token's digest and its CSRF token. Failed logins lock the account for a
time that doubles with each further failure. Every account change and login is ledgered.

A person acts as an :class:`amparo.auth.Principal` with ``kind="user"``
(:meth:`User.principal`), so role checks are the same as for keys.
"""

from amparo.accounts._breaks import BreakPolicy, note_work
from amparo.accounts._events import (
    UserCreated,
    UserDisabled,
    UserLoggedIn,
    UserLoggedOut,
    UserLoginFailed,
)
from amparo.accounts._login import (
    LockedOutError,
    LoginOutcome,
    LoginPolicy,
    SessionView,
    end_session,
    login,
    session_view,
)
from amparo.accounts._users import (
    MIN_PASSWORD,
    NewUser,
    SecretBox,
    User,
    check_password,
    check_user_name,
    create_user,
    disable_user,
    get_user,
    list_users,
)

__all__ = [
    "MIN_PASSWORD",
    "BreakPolicy",
    "LockedOutError",
    "LoginOutcome",
    "LoginPolicy",
    "NewUser",
    "SecretBox",
    "SessionView",
    "User",
    "UserCreated",
    "UserDisabled",
    "UserLoggedIn",
    "UserLoggedOut",
    "UserLoginFailed",
    "check_password",
    "check_user_name",
    "create_user",
    "disable_user",
    "end_session",
    "get_user",
    "list_users",
    "login",
    "note_work",
    "session_view",
]
