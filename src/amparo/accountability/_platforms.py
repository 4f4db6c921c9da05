"""Platforms: configured records of where items live and where notices about them go."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from amparo.accountability import _repo
from amparo.accountability._events import PlatformConfigured
from amparo.accountability._model import CHANNELS, Platform
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.store import PlatformRow, UnitOfWork

__all__ = ["add_platform", "get_platform", "list_platforms", "match_host", "platform_for_url"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_ADAPTER = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_LIST_HINT = "list platforms with: amparo accountability platform list"


def _check_email(value: str, what: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise InputError(
            f"{what} {value!r} is not an e-mail address", hint="give it as name@example.org"
        )
    return value


def _check_target(channel: str, target: str) -> str:
    if channel == "email":
        return _check_email(target, "the notice address")
    if channel == "webhook":
        parts = urlsplit(target.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or len(target) > 2048:
            raise InputError(
                f"the webhook {target!r} is not an http(s) URL",
                hint="give it as https://platform.example/dsa/notices",
            )
        return target.strip()
    if not _ADAPTER.match(target):
        raise InputError(
            f"the adapter name {target!r} is not valid",
            hint="an adapter is named by lower-case letters, digits, '_' and '-'",
        )
    return target


def _check_hosts(hostnames: Sequence[str]) -> tuple[str, ...]:
    hosts = tuple(dict.fromkeys(h.strip().lower().rstrip(".") for h in hostnames))
    if not hosts or len(hosts) > 100:
        raise InputError(
            "a platform needs 1 to 100 host names", hint="pass --host example.com (repeatable)"
        )
    for host in hosts:
        if not _HOST.match(host):
            raise InputError(
                f"{host!r} is not a host name", hint="give names like example.com, no scheme"
            )
    return hosts


def add_platform(
    uow: UnitOfWork,
    name: str,
    *,
    hostnames: Sequence[str],
    channel: str,
    target: str,
    legal_contact: str | None = None,
    trusted_flagger: bool = False,
) -> Platform:
    """Configure a platform: its host names (a sighting's platform is inferred from them),
    its notice channel (``email`` to an address, ``webhook`` to a URL, ``api`` through a
    named adapter), the legal contact escalated notices go to, and whether Amparo's operator
    is a trusted flagger there (DSA Art. 22). Ledgered as ``accountability.platform``."""
    if not _NAME.match(name):
        raise InputError(
            f"the platform name {name!r} is not valid", hint="use 1-64 of A-Z a-z 0-9 _ . -"
        )
    if channel not in CHANNELS:
        raise InputError(
            f"unknown notice channel {channel!r}", hint=f"choose one of: {', '.join(CHANNELS)}"
        )
    target = _check_target(channel, target)
    hosts = _check_hosts(hostnames)
    contact = _check_email(legal_contact, "the legal contact") if legal_contact else None
    if _repo.platform_row(uow, name) is not None:
        raise ConflictError(f"a platform named {name!r} exists", hint=_LIST_HINT)
    for other in _repo.platform_rows(uow):
        taken = set(hosts) & set(other.hostnames)
        if taken:
            raise ConflictError(
                f"host {sorted(taken)[0]!r} already belongs to platform {other.name!r}",
                hint="a host name belongs to one platform",
            )
    row = PlatformRow(
        name=name,
        hostnames=list(hosts),
        channel=channel,
        channel_target=target,
        legal_contact=contact,
        trusted_flagger=trusted_flagger,
    )
    uow.add(row)
    uow.flush()
    uow.emit(PlatformConfigured(name, hosts, channel, target, contact, trusted_flagger))
    return _repo.to_platform(row)


def list_platforms(session: Session) -> list[Platform]:
    """Every configured platform, by name."""
    return [_repo.to_platform(r) for r in _repo.platform_rows(session)]


def get_platform(session: Session, name: str) -> Platform:
    """The platform called ``name``, or :class:`NotFoundError`."""
    row = _repo.platform_row(session, name)
    if row is None:
        raise NotFoundError(f"no platform named {name!r}", hint=_LIST_HINT)
    return _repo.to_platform(row)


def platform_for_url(session: Session, url: str) -> Platform | None:
    """The platform whose host names cover ``url``'s host (itself or a parent domain; the
    longest wins), or None."""
    best = match_host(_repo.platform_rows(session), url)
    return _repo.to_platform(best) if best is not None else None


def match_host(rows: Sequence[PlatformRow], url: str) -> PlatformRow | None:
    """Of ``rows``, the platform whose host names cover ``url``'s host (longest wins)."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    best: PlatformRow | None = None
    best_len = -1
    for row in rows:
        for name in row.hostnames:
            if (host == name or host.endswith("." + name)) and len(name) > best_len:
                best, best_len = row, len(name)
    return best
