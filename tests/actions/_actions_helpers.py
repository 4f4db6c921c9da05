"""Helpers of the actions tests: local webhook receivers on 127.0.0.1, clocks that
move only when told, and a deliverer built on the test's runtime."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

from sqlalchemy import select
from standardwebhooks import Webhook

from amparo import actions
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow

LOOPBACK = ["127.0.0.1/32"]


class WallClock:
    """Aware UTC datetimes that start a minute after the real now (after every action the
    test queues; signatures are checked against the real time) and move only by
    :meth:`advance`."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(minutes=1)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


class StepClock:
    """A monotonic clock for the delivery deadline that only the receiver moves."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int | None


@dataclass
class Receiver:
    """A webhook receiver. ``mode``: ``ok`` (204), ``fail`` (500), ``flaky`` (500 to every
    other request), ``slow`` (runs the sender's deadline clock past its end, then holds the
    answer until released), ``hold`` (holds every request until :attr:`release` is set,
    then hangs up without an answer), ``ok-once-per-id`` (200, counting each webhook-id)."""

    url: str
    mode: str = "ok"
    received: list[Received] = field(default_factory=list)
    clock: StepClock = field(default_factory=StepClock)
    release: threading.Event = field(default_factory=threading.Event)
    got_one: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    def acknowledged(self) -> list[str]:
        """The webhook-ids answered with a 2xx, in order."""
        with self.lock:
            return [
                r.headers["webhook-id"]
                for r in self.received
                if r.answered is not None and 200 <= r.answered < 300
            ]


def handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.count += 1
                n = receiver.count
            mode = receiver.mode
            status = 204
            if mode == "fail" or (mode == "flaky" and n % 2 == 0):
                status = 500
            elif mode == "slow":
                receiver.clock.advance(3600)
                self.wfile.write(b"HTTP/1.1 2")
                self.wfile.flush()
                receiver.got_one.set()
                receiver.release.wait(10)
                self.close_connection = True
                with receiver.lock:
                    receiver.received.append(Received(headers, body, None))
                return
            elif mode == "hold":  # the answer is lost: the request is never acknowledged
                receiver.got_one.set()
                receiver.release.wait(60)
                self.close_connection = True
                with receiver.lock:
                    receiver.received.append(Received(headers, body, None))
                return
            with receiver.lock:
                receiver.received.append(Received(headers, body, status))
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the sender is gone (killed): it was not acknowledged
                with receiver.lock:
                    receiver.received[-1].answered = None

    return Handler


def make_deliverer(
    amparo: Amparo, wall: WallClock, receiver: Receiver | None = None, **options: object
) -> actions.Deliverer:
    """A deliverer on ``amparo``'s database with the test's clocks and a seeded RNG."""
    base = {
        "timeout": 5.0,
        "max_attempts": 4,
        "backoff": actions.Backoff(10.0, 60.0),
        "concurrency": 4,
        "policy": actions.TargetPolicy(allow_http=True, networks=actions.parse_networks(LOOPBACK)),
    }
    base.update(options)
    opts = actions.DeliveryOptions(**base)  # type: ignore[arg-type]
    sender = actions.WebhookSender(
        opts.policy, opts.timeout, clock=receiver.clock if receiver else StepClock()
    )
    return actions.Deliverer(
        amparo.session,
        dialect=amparo.engine.dialect.name,
        options=opts,
        box=amparo.credential_box,
        clock=wall,
        rng=random.Random(7),
        sender=sender,
    )


def signed_by(secret: str, got: Received) -> bool:
    """Whether ``got`` carries a valid Standard Webhooks signature by ``secret``, whenever
    it was sent (``Webhook.verify`` also wants the timestamp within 5 minutes of now)."""
    stamp = datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(got.headers["webhook-id"], stamp, got.body.decode())
    return expected in got.headers["webhook-signature"].split(" ")


def add_endpoint(amparo: Amparo, name: str, url: str) -> str:
    """Configure an endpoint; its secret."""
    with amparo.session() as s:
        _, secret = actions.create_endpoint(
            s,
            name,
            url,
            box=amparo.credential_box(),
            policy=actions.TargetPolicy(True, actions.parse_networks(LOOPBACK)),
            by="test",
        )
    return secret


def queue(amparo: Amparo, n: int = 1, endpoint: str = "hook") -> list[str]:
    with amparo.session() as s:
        return [
            actions.enqueue(s, event_type="scan.decision", payload={"n": i}, endpoint=endpoint)
            for i in range(n)
        ]


def ledger(amparo: Amparo, prefix: str = "") -> list[tuple[str, dict[str, object]]]:
    """(kind, data) of every ledger entry whose kind starts with ``prefix``, in order."""
    with amparo.session() as s:
        rows = s.execute(
            select(LedgerEntryRow.kind, LedgerEntryRow.record).order_by(LedgerEntryRow.id)
        ).all()
    return [(k, json.loads(raw)["data"]) for k, raw in rows if k.startswith(prefix)]
