"""Events of API keys."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["KeyCreated", "KeyRevoked"]


@dataclass(frozen=True)
class KeyCreated(Event):
    kind = "key.create"
    changes_catalog = True

    key_id: int
    name: str
    role: str


@dataclass(frozen=True)
class KeyRevoked(Event):
    kind = "key.revoke"
    changes_catalog = True

    key_id: int
    name: str
