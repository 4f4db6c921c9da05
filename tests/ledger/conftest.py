"""Ledger fixtures: a ledger over the migrated test database, and the app serving it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from ledger_events import Note

from amparo import ledger
from amparo.api import create_app
from amparo.config import Settings
from amparo.ledger import Ledger, Signer
from amparo.runtime import Amparo

ORIGIN = "test.example/amparo"


@pytest.fixture(scope="session")
def log_signer() -> Signer:
    return ledger.generate_signer(ORIGIN)


@pytest.fixture
def log(amparo: Amparo, log_signer: Signer) -> Ledger:
    return Ledger(amparo.engine, signer=log_signer)


@pytest.fixture
def add_entries(amparo: Amparo) -> Callable[[int], list[int]]:
    """Commit ``n`` test.note entries in one transaction; return their sequence numbers."""

    def add(n: int) -> list[int]:
        with amparo.session() as s:
            return ledger.append(s, [Note(n=i) for i in range(n)])

    return add


@pytest.fixture
def served(settings: Settings, amparo: Amparo, log: Ledger) -> Iterator[TestClient]:
    """The API app with ``log`` as its ledger."""
    amparo.ledger = log  # type: ignore[misc]  # the runtime's ledger, replaced for the test
    with TestClient(create_app(settings, amparo=amparo)) as client:
        yield client
