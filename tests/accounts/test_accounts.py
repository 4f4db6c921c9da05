"""Console accounts: argon2 passwords, TOTP (each code once), lockout, disabling, the CLI.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from amparo import accounts
from amparo.cli import app as cli
from amparo.config import Settings
from amparo.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from amparo.runtime import Runtime
from amparo.store import UserRow, utcnow
from reviewfactory import PASSWORD, ledger_kinds, make_user, totp

POLICY = accounts.LoginPolicy(max_failures=4, lockout_seconds=60, session_seconds=3600)


def _login(
    amparo: Runtime, name: str, password: str, code: str, **kw: object
) -> accounts.LoginOutcome:
    with amparo.session() as s:
        return accounts.login(
            s,
            name=name,
            password=password,
            code=code,
            box=amparo.credential_box(),
            policy=POLICY,
            **kw,  # type: ignore[arg-type]
        )


def test_create_stores_no_secret_in_the_clear(amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    with amparo.session() as s:
        row = s.scalars(select(UserRow)).one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert secret.encode() not in row.totp_secret
    assert "user.create" in ledger_kinds(amparo)


@pytest.mark.parametrize(
    ("name", "role", "password", "error"),
    [
        ("Ana Maria", "reviewer", PASSWORD, InputError),
        ("ana", "boss", PASSWORD, InputError),
        ("ana", "reviewer", "short", InputError),
    ],
)
def test_create_refuses_bad_input(
    amparo: Runtime, name: str, role: str, password: str, error: type[Exception]
) -> None:
    with amparo.session() as s, pytest.raises(error):
        accounts.create_user(
            s, name=name, role=role, password=password, box=amparo.credential_box()
        )


def test_a_name_is_taken_once(amparo: Runtime) -> None:
    make_user(amparo, "ana")
    with pytest.raises(ConflictError):
        make_user(amparo, "ana")


def test_login_opens_a_session(amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    outcome = _login(amparo, "ana", PASSWORD, totp(secret))
    assert outcome.error is None and outcome.token and outcome.session
    with amparo.session() as s:
        view = accounts.session_view(s, outcome.token)
    assert view.user.name == "ana" and view.user.principal().actor == "user:ana"
    assert view.csrf and view.csrf == outcome.session.csrf
    with amparo.session() as s:
        accounts.end_session(s, view.session_id)
    with amparo.session() as s, pytest.raises(AuthenticationError):
        accounts.session_view(s, outcome.token)
    assert {"user.login", "user.logout"} <= set(ledger_kinds(amparo))


def test_wrong_totp_wrong_password_and_replay_are_refused_and_ledgered(amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    wrong_code = f"{(int(totp(secret)) + 1) % 1_000_000:06d}"
    for password, code in (
        (PASSWORD, wrong_code),
        ("wrong password!!", totp(secret)),
        (PASSWORD, "abc"),
    ):
        outcome = _login(amparo, "ana", password, code)
        assert isinstance(outcome.error, AuthenticationError)
        assert "user name, password or one-time code is wrong" in outcome.error.message
    assert _login(amparo, "nobody", PASSWORD, totp(secret)).error is not None
    with amparo.session() as s:
        s.get(UserRow, 1).failed_logins = 0  # type: ignore[union-attr]
    assert _login(amparo, "ana", PASSWORD, totp(secret)).error is None
    replay = _login(amparo, "ana", PASSWORD, totp(secret))
    assert replay.error is not None  # the same code twice
    assert ledger_kinds(amparo).count("user.login_failed") == 4


def test_failures_lock_the_account_with_backoff(amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    for _ in range(POLICY.max_failures):
        outcome = _login(amparo, "ana", "wrong password!!", totp(secret))
    assert isinstance(outcome.error, accounts.LockedOutError)
    assert outcome.error.status_code == 429
    # Locked: even the right password and code are refused until the lock ends.
    locked = _login(amparo, "ana", PASSWORD, totp(secret))
    assert isinstance(locked.error, accounts.LockedOutError)
    with amparo.session() as s:
        first = s.scalars(select(UserRow)).one().locked_until
    assert first is not None
    later = utcnow() + timedelta(seconds=61)
    again = _login(amparo, "ana", "wrong password!!", totp(secret), now=later)
    assert isinstance(again.error, accounts.LockedOutError)
    with amparo.session() as s:
        second = s.scalars(select(UserRow)).one().locked_until
    assert second is not None and second - later >= timedelta(seconds=119)  # doubled
    at = second + timedelta(seconds=1)
    ok = _login(amparo, "ana", PASSWORD, pyotp.TOTP(secret).at(at), now=at)
    assert ok.error is None


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    outcome = _login(amparo, "ana", PASSWORD, totp(secret))
    with amparo.session() as s:
        accounts.disable_user(s, "ana")
    with amparo.session() as s, pytest.raises(AuthenticationError):
        accounts.session_view(s, outcome.token)
    assert _login(amparo, "ana", PASSWORD, totp(secret, 1)).error is not None
    with amparo.session() as s, pytest.raises(NotFoundError):
        accounts.disable_user(s, "nobody")


def test_breaks_after_n_decisions_or_m_minutes(amparo: Runtime) -> None:
    make_user(amparo, "ana")
    policy = accounts.BreakPolicy(after_items=2, after_minutes=30, minutes=10)
    now = utcnow()
    with amparo.session() as s:
        assert accounts.note_work(s, 1, policy, decided=True, now=now) is None
        until = accounts.note_work(s, 1, policy, decided=True, now=now)
    assert until == now + timedelta(minutes=10)
    after = until + timedelta(seconds=1)
    with amparo.session() as s:
        assert accounts.note_work(s, 1, policy, decided=False, now=after) is None
        long = accounts.note_work(s, 1, policy, decided=False, now=after + timedelta(minutes=31))
    assert long is not None


def test_users_cli(settings: Settings, amparo: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (
        ("AMPARO_DATA_DIR", str(settings.data_dir)),
        ("AMPARO_DATABASE_URL", settings.database_url or ""),
    ):
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    made = runner.invoke(
        cli, ["users", "create", "ana", "--role", "reviewer", "--password-stdin"], input=PASSWORD
    )
    assert made.exit_code == 0, made.output
    assert "otpauth://totp/" in made.stdout and "secret: " in made.stdout
    listed = runner.invoke(cli, ["users", "list", "--json"])
    assert '"name": "ana"' in listed.stdout and "secret" not in listed.stdout
    assert runner.invoke(cli, ["users", "disable", "ana"]).exit_code == 0
    assert '"disabled": true' in runner.invoke(cli, ["users", "list", "--json"]).stdout
    bad = runner.invoke(
        cli, ["users", "create", "bob", "--role", "boss", "--password-stdin"], input=PASSWORD
    )
    assert bad.exit_code != 0 and "unknown role" in bad.output
    short = runner.invoke(
        cli, ["users", "create", "bob", "--role", "reviewer", "--password-stdin"], input="short"
    )
    assert short.exit_code != 0 and "12 to 1024" in short.output


def test_a_lost_secret_key_is_a_clear_error(amparo: Runtime) -> None:
    from amparo.errors import ConfigError
    from amparo.exchanges import CredentialBox

    secret = make_user(amparo, "ana")
    other = CredentialBox.from_secret("q" * 43 + "=")
    with amparo.session() as s, pytest.raises(ConfigError, match="TOTP secret of user 'ana'"):
        accounts.login(
            s, name="ana", password=PASSWORD, code=totp(secret), box=other, policy=POLICY
        )
