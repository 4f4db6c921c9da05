"""Helpers of the evidence tests."""

from __future__ import annotations

from amparo.auth import Principal


def principal(role: str, key_id: int = 7) -> Principal:
    """A caller with ``role`` (no key behind it: the vault only reads its fields)."""
    return Principal(key_id=key_id, name=f"test-{role}", role=role)
