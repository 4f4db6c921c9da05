"""Webhook deliveries per second, next to plain HTTP clients against the same receiver.

The receiver is a separate process on 127.0.0.1 (``http.server``, HTTP/1.1 keep-alive,
answering 204), so it does not share this process's interpreter lock. Measured in one run:

1. **peer, sequential**: a plain ``httpx.Client`` POST loop of the same signed body;
2. **peer, N threads**: the same from ``AMPARO_WEBHOOK_CONCURRENCY`` threads (the ceiling of
   what the deliverer could reach with its concurrency);
3. **amparo**: actions queued through the outbox (``actions.enqueue``, 100 per transaction,
   not timed), then delivered by ``Deliverer.round()``: claim (SKIP LOCKED on PostgreSQL, a
   lease on SQLite), sign (Standard Webhooks), POST within the total deadline, record each
   outcome and its ledger entry, commit;
4. the same against a receiver that **fails every other request** (500): delivered/s and
   tries/s, next to a peer that POSTs from the same threads and retries each failure at
   once.

Run:  .venv/bin/python bench/bench_webhooks.py [--events 2000] [--rounds 3] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select

from amparo import actions
from amparo.config import Settings
from amparo.runtime import Runtime
from amparo.store import OutboxRow

RECEIVER = r"""
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
flaky = sys.argv[1] == "flaky"
lock = threading.Lock()
count = [0]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count[0] += 1
            n = count[0]
        self.send_response(500 if flaky and n % 2 == 0 else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _receiver(mode: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, mode], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/hook"


def _peer(url: str, n: int, threads: int, retry: bool) -> tuple[float, int]:
    """POSTs/s of ``n`` successful requests from ``threads`` threads; tries made."""
    body = b'{"data":{"n":1},"timestamp":"2026-01-01T00:00:00+00:00","type":"scan.decision"}'
    headers = {
        "content-type": "application/json",
        "webhook-id": "msg_" + "0" * 32,
        "webhook-timestamp": "1767225600",
        "webhook-signature": "v1,AAAA",
    }
    tries = [0] * threads
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    with httpx.Client(limits=limits, timeout=10) as client:

        def work(worker: int) -> None:
            for _ in range(worker, n, threads):
                while True:
                    tries[worker] += 1
                    r = client.post(url, content=body, headers=headers)
                    if r.is_success or not retry:
                        break

        start = time.perf_counter()
        if threads == 1:
            work(0)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(work, range(threads)))
        elapsed = time.perf_counter() - start
    return n / elapsed, sum(tries)


def _amparo(settings: Settings, url: str, n: int) -> tuple[float, int]:
    """Deliveries/s of ``n`` queued actions through the deliverer; tries made."""
    runtime = Runtime.open(settings)
    name = f"bench-{time.time_ns()}"
    with runtime.session() as s:
        actions.create_endpoint(
            s,
            name,
            url,
            box=runtime.credential_box(),
            policy=runtime.deliverer.options.policy,
            by="bench",
        )
    for first in range(0, n, 100):
        with runtime.session() as s:
            for i in range(first, min(n, first + 100)):
                actions.enqueue(s, event_type="scan.decision", payload={"n": i}, endpoint=name)
    deliverer = runtime.deliverer
    tries = 0
    start = time.perf_counter()
    while True:
        tries += deliverer.round()
        with runtime.session() as s:
            left = s.scalar(
                select(func.count()).where(
                    OutboxRow.endpoint == name, OutboxRow.status != "delivered"
                )
            )
        if not left:
            break
    elapsed = time.perf_counter() - start
    deliverer.close()
    runtime.close()
    return n / elapsed, tries


def _settings(data_dir: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        unsafe_webhook_http=True,
        webhook_allowed_networks=["127.0.0.1/32"],
        webhook_backoff_seconds=0.001,
        webhook_backoff_max_seconds=0.001,
        webhook_max_attempts=1000,
    )


def _row(label: str, rate: float, tries: int, n: int, peer: float | None) -> None:
    ratio = f"  {rate / peer:.2f}x the faster peer" if peer else ""
    print(f"{label:<46}{rate:9,.0f} deliveries/s  tries/delivery {tries / n:4.2f}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use a fresh PostgreSQL database on AMPARO_TEST_PG's server (default: SQLite)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved; medians shown")
    args = parser.parse_args()
    n = args.events
    with tempfile.TemporaryDirectory() as tmp:
        database_url = _fresh_postgres() if args.postgres else None
        settings = _settings(Path(tmp), database_url)
        threads = settings.webhook_concurrency
        backend = "PostgreSQL" if database_url else "SQLite (WAL)"
        print(f"## webhook deliveries, {n:,} events, {backend}, cpus: {os.cpu_count()}")
        for mode in ("ok", "flaky"):
            proc, url = _receiver(mode)
            retry = mode == "flaky"
            seq, par, ours = [], [], []
            try:
                for _ in range(args.rounds):  # interleaved: drift on a shared machine hits all
                    seq.append(_peer(url, n, 1, retry))
                    par.append(_peer(url, n, threads, retry))
                    ours.append(_amparo(settings, url, n))
            finally:
                proc.terminate()
                proc.wait()
            (s_rate, s_tries), (p_rate, p_tries), (o_rate, o_tries) = map(_median, (seq, par, ours))
            ceiling = max(s_rate, p_rate)
            what = "receiver answers 204" if mode == "ok" else "receiver fails every other (500)"
            print(f"### {what}")
            _row("peer: httpx POST loop, 1 thread", s_rate, s_tries, n, None)
            _row(f"peer: httpx POST loop, {threads} threads", p_rate, p_tries, n, None)
            _row(f"amparo: outbox -> deliverer ({threads} at once)", o_rate, o_tries, n, ceiling)
            print(f"ratio amparo / faster peer: {o_rate / ceiling:.2f}x")


def _fresh_postgres() -> str:
    admin = os.environ.get("AMPARO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS amparo_bench_webhooks WITH (FORCE)")
        conn.execute("CREATE DATABASE amparo_bench_webhooks")
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/amparo_bench_webhooks"


def _median(results: list[tuple[float, int]]) -> tuple[float, int]:
    ordered = sorted(results)
    return ordered[len(ordered) // 2]


if __name__ == "__main__":
    main()
