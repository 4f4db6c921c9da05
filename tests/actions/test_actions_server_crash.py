"""SIGKILL a real ``amparo serve`` while it is sending a committed action: after a restart
the action is delivered, and delivered once (one acknowledged request, one ledger entry).

The receiver holds the first request and never answers it, so the kill always falls between
the commit of the enqueue and the commit of the delivery's outcome. On PostgreSQL the dead
server's row lock goes with its connection; on SQLite the restarted server waits out the
dead one's lease (2 x AMPARO_WEBHOOK_TIMEOUT + 1 s).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from _actions_helpers import LOOPBACK, Receiver, add_endpoint, ledger, queue
from sqlalchemy import select

from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.store import OutboxRow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from amparo.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("amparo serve did not become ready within 60 s")


def _status(amparo: Amparo, action_id: str) -> str:
    with amparo.session() as s:
        return str(s.scalar(select(OutboxRow.status).where(OutboxRow.id == action_id)))


@pytest.mark.slow
def test_sigkill_between_enqueue_and_delivery_delivers_once_after_restart(
    settings: Settings, amparo: Amparo, receiver: Receiver
) -> None:
    env = {
        **os.environ,
        "AMPARO_DATA_DIR": str(settings.data_dir),
        "AMPARO_UNSAFE_WEBHOOK_HTTP": "1",
        "AMPARO_WEBHOOK_ALLOWED_NETWORKS": f'["{LOOPBACK[0]}"]',
        "AMPARO_WEBHOOK_TIMEOUT": "0.5",
        "AMPARO_WEBHOOK_POLL_SECONDS": "0.05",
        "AMPARO_WEBHOOK_BACKOFF_SECONDS": "0.1",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("AMPARO_DATABASE_URL", None)
    if settings.database_url:
        env["AMPARO_DATABASE_URL"] = settings.database_url
    add_endpoint(amparo, "hook", receiver.url)
    receiver.mode = "hold"
    [action_id] = queue(amparo)  # committed; no server runs yet

    first = _serve(env)
    assert receiver.got_one.wait(60), "the server never sent the action"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    receiver.mode = "ok"
    receiver.release.set()
    assert _status(amparo, action_id) == "pending"

    second = _serve(env)
    try:
        deadline = time.monotonic() + 60
        while _status(amparo, action_id) != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert _status(amparo, action_id) == "delivered"
    assert receiver.acknowledged() == [action_id]
    assert {r.headers["webhook-id"] for r in receiver.received} == {action_id}
    [(_, delivered)] = ledger(amparo, "action.deliver")
    assert delivered["action_id"] == action_id
    assert ledger(amparo, "action.dead") == []
