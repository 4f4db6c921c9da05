"""Fixtures for the console: the app over HTTPS (its cookies are Secure), an in-memory
vault connected to it, accounts and a helper that logs in through the form."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from amparo import web
from amparo.api import create_app
from amparo.config import Settings
from amparo.runtime import Runtime
from reviewfactory import PASSWORD, MemoryVault, csrf_of, make_user, totp


@pytest.fixture
def vault() -> MemoryVault:
    return MemoryVault()


@pytest.fixture
def console_app(settings: Settings, amparo: Runtime, vault: MemoryVault) -> Iterator[TestClient]:
    app = create_app(settings, amparo=amparo)
    web.set_media_source(app, vault)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@pytest.fixture
def browser_of(
    settings: Settings, amparo: Runtime, console_app: TestClient
) -> Callable[..., TestClient]:
    """``browser_of(name, role)``: a logged-in client of its own (own cookie jar)."""
    clients: list[TestClient] = []

    def make(name: str, role: str = "reviewer") -> TestClient:
        secret = make_user(amparo, name, role)
        client = TestClient(console_app.app, base_url="https://testserver")
        clients.append(client)
        page = client.get("/review/login")
        r = client.post(
            "/review/login",
            data={
                "csrf": csrf_of(page.text),
                "name": name,
                "password": PASSWORD,
                "code": totp(secret),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return client

    yield make  # type: ignore[misc]
    for client in clients:
        client.close()
