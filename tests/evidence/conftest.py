"""Fixtures of the evidence vault: a vault on the test runtime, its directories, a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from amparo.events import Event
from amparo.evidence import LocalBlobStore, LocalKeyFile, Vault
from amparo.runtime import Amparo


class Clock:
    """A settable clock for retention tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "evidence.key"


@pytest.fixture
def vault(vault_dir: Path, key_file: Path, clock: Clock) -> Vault:
    return Vault(LocalBlobStore(vault_dir), LocalKeyFile(key_file, create=True), clock=clock)


@pytest.fixture
def events(amparo: Amparo) -> Iterator[list[Event]]:
    """Every event the runtime committed during the test."""
    seen: list[Event] = []
    amparo.subscribe(seen.extend)
    yield seen
