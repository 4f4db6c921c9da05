"""A typed event for ledger tests (the ledger records events, never free-form dicts)."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event


@dataclass(frozen=True)
class Note(Event):
    kind = "test.note"

    n: int = 0
    text: str = ""
