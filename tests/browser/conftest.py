"""The console in a real browser: Amparo served by uvicorn on 127.0.0.1, driven by
Playwright through Debian's Chromium (``/usr/bin/chromium``; Playwright's own browser
download is not used). Skipped, with the reason, where either is missing.

These run on SQLite only: the console's behaviour on PostgreSQL is covered over HTTP by
``tests/web``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from amparo import web
from amparo.api import create_app
from amparo.config import Settings
from amparo.runtime import Runtime
from reviewfactory import PASSWORD, MemoryVault, make_user, totp

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)  # end to end: out of scripts/test --fast
            if shutil.which(CHROMIUM) is None:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"{CHROMIUM} is missing: install Debian's chromium "
                        "(apt-get install -y chromium)"
                    )
                )


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'amparo.db'}"


@pytest.fixture
def vault() -> MemoryVault:
    return MemoryVault()


@pytest.fixture
def app(settings: Settings, amparo: Runtime, vault: MemoryVault) -> FastAPI:
    """The app, its console connected to the in-memory vault."""
    made = create_app(settings, amparo=amparo)
    web.set_media_source(made, vault)
    return made


@pytest.fixture
def console(app: FastAPI) -> web.Console:
    """The console behind the server (to change its exposure or break policy)."""
    found: web.Console = app.state.review_console
    return found


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app on a free loopback port; gives its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def chromium() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console_of(chromium: Any, server: str, amparo: Runtime) -> Callable[..., Any]:
    """``console_of(name, role)``: a page of a fresh browser context, logged in through
    the login form with password and TOTP. Every request it makes is kept in
    ``page.requests_seen`` (to show that nothing leaves Amparo)."""

    def make(name: str, role: str = "reviewer") -> Any:
        secret = make_user(amparo, name, role)
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.requests_seen = []
        page.on("request", lambda request: page.requests_seen.append(request.url))
        page.goto(f"{server}/review/")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.fill("#code", totp(secret))
        page.click("#login")
        page.wait_for_load_state()
        return page

    return make
