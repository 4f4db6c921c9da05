"""Events of the DSA cross-check: what the ledger records of each imported dump."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["DsaDumpImported"]


@dataclass(frozen=True)
class DsaDumpImported(Event):
    """A Transparency Database dump was imported: which file (by SHA-256), how many rows
    were read, bad and counted, and the platform it was limited to (if any)."""

    kind = "dsa.dump_import"

    file_id: int
    filename: str
    sha256: str
    platform: str | None
    rows: int
    bad_rows: int
    counted: int
