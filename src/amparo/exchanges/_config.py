"""Exchanges: configured sources of hashes (NCMEC, StopNCII, ThreatExchange, ...) feeding a bank.

An exchange has a name, an API (see :data:`EXCHANGE_APIS`), the bank it fills, settings and
credentials. Credentials are stored only encrypted (see :class:`CredentialBox`) and never
come back out of this module except to the exchange client. Entries an exchange adds carry
``source`` = the exchange's name and ``source_id`` = the exchange's id of the record, so the
names ``local`` and ``import`` (used by manual entries and imports) are reserved.

Changing an exchange's settings forgets its checkpoint: the next fetch is a full one and
removes entries the new settings no longer fetch. Every change is recorded in the ledger
(without credentials) in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from amparo import banks
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.exchanges._apis import EXCHANGE_APIS, ExchangeApiSpec, resolve_api
from amparo.exchanges._events import ExchangeCreated, ExchangeDeleted, ExchangeUpdated
from amparo.exchanges._repo import bank_name, exchange_row, exchange_rows, name_taken
from amparo.exchanges._secrets import CredentialBox
from amparo.exchanges._state import FetchState
from amparo.store import ExchangeRow, UnitOfWork, utcnow

__all__ = [
    "Exchange",
    "check_exchange_name",
    "create_exchange",
    "delete_exchange",
    "get_exchange",
    "list_exchanges",
    "update_exchange",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_RESERVED = {"local", "import", "apis"}

Credentials = str | Mapping[str, str]


@dataclass(frozen=True)
class Exchange:
    """An exchange and its fetch status. Never holds credentials, only whether there are any.

    ``fetching``: a fetch holds it now. ``interrupted``: the last fetch failed or stopped; the
    next one resumes after its last saved batch. ``fetched_items``: records received by the
    current or last fetch. ``progress_at``: how far the exchange's data has been fetched, when
    the API can tell. ``entries``: entries of this exchange in its bank.
    """

    id: int
    name: str
    api: str
    bank: str
    config: Mapping[str, Any]
    has_credentials: bool
    enabled: bool
    created_at: datetime
    last_fetch_started_at: datetime | None
    last_fetch_succeeded_at: datetime | None
    last_fetch_error: str | None
    fetched_items: int
    entries: int
    fetching: bool
    interrupted: bool
    progress_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "name": self.name,
            "api": self.api,
            "bank": self.bank,
            "config": dict(self.config),
            "has_credentials": self.has_credentials,
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
            "status": {
                "fetching": self.fetching,
                "interrupted": self.interrupted,
                "last_fetch_started_at": iso(self.last_fetch_started_at),
                "last_fetch_succeeded_at": iso(self.last_fetch_succeeded_at),
                "last_fetch_error": self.last_fetch_error,
                "fetched_items": self.fetched_items,
                "entries": self.entries,
                "progress_at": iso(self.progress_at),
            },
        }


def _view(row: ExchangeRow, bank: str, entries: int) -> Exchange:
    state = FetchState.load(row.api, row.checkpoint)
    fetching = state.leased(utcnow())
    started, succeeded = row.last_fetch_started_at, row.last_fetch_succeeded_at
    progress = (
        datetime.fromtimestamp(state.progress_ts, UTC) if state.progress_ts is not None else None
    )
    return Exchange(
        id=row.id,
        name=row.name,
        api=row.api,
        bank=bank,
        config=dict(row.config or {}),
        has_credentials=row.credentials is not None,
        enabled=row.enabled,
        created_at=row.created_at,
        last_fetch_started_at=row.last_fetch_started_at,
        last_fetch_succeeded_at=row.last_fetch_succeeded_at,
        last_fetch_error=row.last_fetch_error,
        fetched_items=row.fetched_items,
        entries=entries,
        fetching=fetching,
        interrupted=started is not None
        and not fetching
        and (succeeded is None or succeeded < started),
        progress_at=progress,
    )


def _entry_count(session: Session, row: ExchangeRow) -> int:
    return banks.source_entry_count(session, row.bank_id, row.name)


def check_exchange_name(name: str) -> str:
    """1-64 letters, digits, ``_``, ``.``, ``-``; not ``local`` or ``import``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.lower() in _RESERVED:
        raise InputError(
            f"invalid exchange name {name!r}",
            hint="use 1-64 letters, digits, '_', '.' or '-' (not local, import or apis), "
            "e.g. ncmec-industry",
        )
    return name


def _encrypt(
    spec: ExchangeApiSpec, credentials: Credentials | None, box: CredentialBox | None
) -> bytes | None:
    if credentials is None:
        return None
    if box is None:
        raise InputError("credentials given but no secret key to store them with")
    return box.encrypt(spec.parse_credentials(credentials))


def create_exchange(
    uow: UnitOfWork,
    name: str,
    *,
    api: str,
    bank: str,
    config: Mapping[str, Any] | None = None,
    credentials: Credentials | None = None,
    box: CredentialBox | None = None,
    enabled: bool = True,
    apis: Mapping[str, ExchangeApiSpec] = EXCHANGE_APIS,
) -> Exchange:
    """Configure an exchange feeding ``bank`` (which must exist)."""
    check_exchange_name(name)
    spec = resolve_api(api, apis)
    checked = spec.checked_config(config or {})
    if spec.credential_fields and credentials is None:
        raise InputError(
            f"a {spec.name} exchange needs credentials ({', '.join(spec.credential_fields)})",
            hint=f"give them as {spec.credential_format}",
        )
    try:
        bank_id = banks.get_bank(uow, bank).id
    except NotFoundError:
        raise NotFoundError(
            f"no bank named {bank!r}", hint=f"create it: amparo bank create {bank}"
        ) from None
    if name_taken(uow, name):
        raise ConflictError(f"an exchange named {name!r} already exists", hint="choose another")
    row = ExchangeRow(
        name=name,
        api=spec.name,
        bank_id=bank_id,
        config=checked,
        credentials=_encrypt(spec, credentials, box),
        checkpoint=None,
        enabled=enabled,
        fetched_items=0,
    )
    uow.add(row)
    uow.flush()
    view = _view(row, bank, 0)
    uow.emit(
        ExchangeCreated(
            view.id,
            view.name,
            view.api,
            view.bank,
            dict(view.config),
            view.has_credentials,
            view.enabled,
        )
    )
    return view


def get_exchange(session: Session, name: str) -> Exchange:
    """Exchange ``name`` with its fetch status, or :class:`NotFoundError`."""
    row = exchange_row(session, name)
    return _view(row, bank_name(session, row.bank_id), _entry_count(session, row))


def list_exchanges(session: Session) -> list[Exchange]:
    """Every exchange with its fetch status, by name."""
    return [_view(row, bank, _entry_count(session, row)) for row, bank in exchange_rows(session)]


def update_exchange(
    uow: UnitOfWork,
    name: str,
    *,
    enabled: bool | None = None,
    config: Mapping[str, Any] | None = None,
    credentials: Credentials | None = None,
    box: CredentialBox | None = None,
    apis: Mapping[str, ExchangeApiSpec] = EXCHANGE_APIS,
) -> Exchange:
    """Enable/disable, replace settings (forgets the checkpoint) or replace credentials."""
    row = exchange_row(uow, name, for_update=True)
    spec = resolve_api(row.api, apis)
    new_config: dict[str, Any] | None = None
    if enabled is not None:
        row.enabled = enabled
    if config is not None:
        checked = spec.checked_config(config)
        if checked != row.config:
            row.config = new_config = checked
            state = FetchState.load(row.api, row.checkpoint)
            row.checkpoint = FetchState(
                row.api, lease_token=state.lease_token, lease_until=state.lease_until
            ).to_json()
    if credentials is not None:
        row.credentials = _encrypt(spec, credentials, box)
    uow.flush()
    uow.emit(ExchangeUpdated(row.id, name, enabled, new_config, credentials is not None))
    return get_exchange(uow, name)


def delete_exchange(uow: UnitOfWork, name: str, *, delete_entries: bool = False) -> int:
    """Remove an exchange (and, if asked, the entries it added); returns entries deleted."""
    row = exchange_row(uow, name, for_update=True)
    removed = 0
    everything = utcnow() + timedelta(days=1)  # entries last seen before this: all of them
    while delete_entries:
        done = banks.sweep(
            uow, bank_id=row.bank_id, source=row.name, before=everything, action="delete"
        )
        removed += done
        delete_entries = done > 0
    uow.emit(ExchangeDeleted(row.id, name, removed))
    uow.delete(row)
    uow.flush()
    return removed
