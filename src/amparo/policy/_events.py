"""Events of policies."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["PolicyActivated"]


@dataclass(frozen=True)
class PolicyActivated(Event):
    """Policy ``policy_version`` (its text's ``sha256``) became the one every scan is decided by.
    ``stored`` says the version was new (stored by this activation)."""

    kind = "policy.activate"

    policy_version: int
    sha256: str
    name: str
    rules: int
    activated_by: str
    stored: bool
