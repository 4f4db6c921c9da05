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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo import ledger
from amparo.banks._exchange_apis import EXCHANGE_APIS, ExchangeApiSpec, resolve_api
from amparo.banks._exchange_secrets import CredentialBox
from amparo.banks._exchange_state import FetchState
from amparo.banks._repo import delete_source_entries
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.store import BankRow, EntryRow, ExchangeRow, utcnow

__all__ = [
    "Exchange",
    "check_exchange_name",
    "create_exchange",
    "delete_exchange",
    "exchange_row",
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


def exchange_row(session: Session, name: str, *, for_update: bool = False) -> ExchangeRow:
    """The row of exchange ``name`` (locked on PostgreSQL when ``for_update``)."""
    query = select(ExchangeRow).where(ExchangeRow.name == name)
    row = session.scalars(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFoundError(
            f"no exchange named {name!r}",
            hint="list exchanges with `amparo exchange list` or GET /v1/exchanges",
        )
    return row


def _entry_count(session: Session, row: ExchangeRow) -> int:
    return int(
        session.scalar(
            select(func.count(EntryRow.id)).where(
                EntryRow.bank_id == row.bank_id, EntryRow.source == row.name
            )
        )
        or 0
    )


def _bank_name(session: Session, bank_id: int) -> str:
    return str(session.scalar(select(BankRow.name).where(BankRow.id == bank_id)))


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
    session: Session,
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
    bank_id = session.scalar(select(BankRow.id).where(BankRow.name == bank))
    if bank_id is None:
        raise NotFoundError(f"no bank named {bank!r}", hint=f"create it: amparo bank create {bank}")
    if session.scalar(select(ExchangeRow.id).where(ExchangeRow.name == name)) is not None:
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
    session.add(row)
    session.flush()
    view = _view(row, bank, 0)
    ledger.record(session, "exchange.create", _ledger_view(view))
    return view


def _ledger_view(view: Exchange) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "api": view.api,
        "bank": view.bank,
        "config": dict(view.config),
        "has_credentials": view.has_credentials,
        "enabled": view.enabled,
    }


def get_exchange(session: Session, name: str) -> Exchange:
    row = exchange_row(session, name)
    return _view(row, _bank_name(session, row.bank_id), _entry_count(session, row))


def list_exchanges(session: Session) -> list[Exchange]:
    counts: dict[int, int] = dict(
        session.execute(
            select(ExchangeRow.id, func.count(EntryRow.id))
            .join(
                EntryRow,
                (EntryRow.bank_id == ExchangeRow.bank_id) & (EntryRow.source == ExchangeRow.name),
                isouter=True,
            )
            .group_by(ExchangeRow.id)
        ).all()
    )
    rows = session.execute(
        select(ExchangeRow, BankRow.name)
        .join(BankRow, BankRow.id == ExchangeRow.bank_id)
        .order_by(ExchangeRow.name)
    ).all()
    return [_view(row, bank, int(counts.get(row.id, 0))) for row, bank in rows]


def update_exchange(
    session: Session,
    name: str,
    *,
    enabled: bool | None = None,
    config: Mapping[str, Any] | None = None,
    credentials: Credentials | None = None,
    box: CredentialBox | None = None,
    apis: Mapping[str, ExchangeApiSpec] = EXCHANGE_APIS,
) -> Exchange:
    """Enable/disable, replace settings (forgets the checkpoint) or replace credentials."""
    row = exchange_row(session, name, for_update=True)
    spec = resolve_api(row.api, apis)
    changes: dict[str, Any] = {}
    if enabled is not None:
        row.enabled = changes["enabled"] = enabled
    if config is not None:
        checked = spec.checked_config(config)
        if checked != row.config:
            row.config = changes["config"] = checked
            state = FetchState.load(row.api, row.checkpoint)
            row.checkpoint = FetchState(
                row.api, lease_token=state.lease_token, lease_until=state.lease_until
            ).to_json()
    if credentials is not None:
        row.credentials = _encrypt(spec, credentials, box)
        changes["credentials"] = "replaced"
    session.flush()
    ledger.record(session, "exchange.update", {"id": row.id, "name": name, "changes": changes})
    return get_exchange(session, name)


def delete_exchange(session: Session, name: str, *, delete_entries: bool = False) -> int:
    """Remove an exchange (and, if asked, the entries it added); returns entries deleted."""
    row = exchange_row(session, name, for_update=True)
    removed = 0
    if delete_entries:
        while True:
            ids = list(
                session.scalars(
                    select(EntryRow.source_id)
                    .where(
                        EntryRow.bank_id == row.bank_id,
                        EntryRow.source == row.name,
                        EntryRow.source_id.is_not(None),
                    )
                    .limit(1000)
                )
            )
            if not ids:
                break
            removed += delete_source_entries(session, row.bank_id, row.name, [i for i in ids if i])
    ledger.record(
        session, "exchange.delete", {"id": row.id, "name": name, "entries_deleted": removed}
    )
    session.delete(row)
    session.flush()
    return removed
