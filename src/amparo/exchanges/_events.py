"""Events of exchanges: configuration changes and every committed fetch batch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amparo.events import Event

__all__ = ["ExchangeCreated", "ExchangeDeleted", "ExchangeFetched", "ExchangeUpdated"]


@dataclass(frozen=True)
class ExchangeCreated(Event):
    """A new exchange feeding ``bank``. Credentials are never recorded, only their presence."""

    kind = "exchange.create"
    version = 2

    exchange_id: int
    name: str
    api: str
    bank: str
    config: Mapping[str, Any]
    has_credentials: bool
    enabled: bool


@dataclass(frozen=True)
class ExchangeUpdated(Event):
    """What changed: None for what did not."""

    kind = "exchange.update"
    version = 2

    exchange_id: int
    name: str
    enabled: bool | None
    config: Mapping[str, Any] | None
    credentials_replaced: bool


@dataclass(frozen=True)
class ExchangeDeleted(Event):
    kind = "exchange.delete"
    version = 2

    exchange_id: int
    name: str
    entries_deleted: int


@dataclass(frozen=True)
class ExchangeFetched(Event):
    """One committed batch of a fetch (``phase`` "fetch"), or of its sweep ("sweep"), with
    its counts and the checkpoint saved with it."""

    kind = "exchange.fetch"
    version = 2

    exchange_id: int
    exchange: str
    api: str
    bank: str
    phase: str
    batch: int
    full: bool
    items: int
    added: int
    updated: int
    removed: int
    unchanged: int
    unusable: int
    checkpoint: Mapping[str, Any] | None
