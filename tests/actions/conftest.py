"""Fixtures of the actions tests: a local webhook receiver on 127.0.0.1, a clock that moves
only when told, settings that allow loopback receivers over http."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer

import pytest
from _actions_helpers import LOOPBACK, Receiver, WallClock, handler, make_deliverer

from amparo import actions
from amparo.config import Settings
from amparo.runtime import Amparo

Deliver = Callable[..., actions.Deliverer]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port, shut down after the test."""
    receiver = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings, allowing loopback receivers over http."""
    return settings.model_copy(
        update={
            "unsafe_webhook_http": True,
            "webhook_allowed_networks": LOOPBACK,
            "webhook_max_attempts": 4,
        }
    )


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def deliverer(amparo: Amparo, wall: WallClock, receiver: Receiver) -> Iterator[Deliver]:
    """Makes deliverers on the test's runtime (see ``make_deliverer``); closed after it."""
    made: list[actions.Deliverer] = []

    def make(runtime: Amparo | None = None, **options: object) -> actions.Deliverer:
        made.append(make_deliverer(runtime or amparo, wall, receiver, **options))
        return made[-1]

    yield make
    for d in made:
        d.close()
