"""Takedown checks per second against a local fake platform, at bounded concurrency.

A fake platform on 127.0.0.1 serves N benign synthetic JPEGs (every fifth one removed: 404).
Amparo's check round (claim from the database, fetch SSRF-safely with a total deadline,
hash what is served, PDQ included, classify, record the check and its ledger entry, schedule
the next) is measured against a peer in the same run: the bare network-and-hash loop
(``UrlFetcher.probe`` + SHA-256 + PDQ, no database, no ledger) at the same concurrency.
The ratio says what the bookkeeping costs.

Run:  .venv/bin/python bench/bench_accountability.py [--items 200] [--concurrency 1 8]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from amparo import accountability as acc
from amparo.config import Settings
from amparo.media import synthetic
from amparo.runtime import Runtime
from amparo.store import SightingRow

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def serve(files: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "image/jpeg" if body else "text/plain")
            self.send_header("Content-Length", str(len(body or b"gone")))
            self.end_headers()
            self.wfile.write(body or b"gone")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def peer(runtime: Runtime, url: str) -> None:
    """The bare loop: fetch what is served, hash it (SHA-256, and PDQ when it is there)."""
    probe = runtime.fetcher.probe(url)
    hashlib.sha256(probe.body).hexdigest()
    if probe.status == 200:
        runtime.hasher.hash(probe.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()

    images = [
        synthetic.encode(synthetic.make("photo_like", 640, 480, seed=k), "JPEG", quality=90)
        for k in range(10)
    ]
    files = {f"/p/{k}.jpg": images[k % 10] for k in range(args.items)}
    server = serve(files)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [base + path for path in files]
    for k in range(0, args.items, 5):
        files.pop(f"/p/{k}.jpg")

    folder = Path(tempfile.mkdtemp())
    settings = Settings(
        data_dir=folder,
        unsafe_allow_private_urls=True,
        accountability_host_interval_seconds=0,
        accountability_check_batch=args.items,
    )
    runtime = Runtime.open(settings)
    hashes = {}
    for k, data in enumerate(images):
        signals = runtime.hasher.hash(data)
        hashes[k] = (signals.md5, signals.sha256, signals.pdq.hex if signals.pdq else None)
    with runtime.session() as s:
        platform = acc.add_platform(
            s, "fakeshare", hostnames=["127.0.0.1"], channel="webhook", target=base + "/dsa"
        )

    print(f"{args.items} URLs, every fifth removed; 640x480 JPEGs; SQLite")
    print(f"{'concurrency':>11}  {'amparo checks/s':>15}  {'peer probes/s':>13}  {'ratio':>5}")
    for concurrency in args.concurrency:
        with runtime.session() as s:
            s.query(SightingRow).delete()
            for k, url in enumerate(urls):
                md5, sha, pdq = hashes[k % 10]
                s.add(
                    SightingRow(
                        platform_id=platform.id, url=url, host="127.0.0.1", first_seen_at=T0,
                        found_by="bench", recorded_at=T0, evidence_id=f"ev{k}", md5=md5,
                        sha256=sha, pdq=pdq, matched_banks=[], state="open", notices_sent=1,
                        notice_failures=0, check_failures=0, first_notice_at=T0,
                        next_check_at=T0,
                    )
                )  # fmt: skip
        service = runtime.accountability
        service.check_policy = dataclasses.replace(service.check_policy, concurrency=concurrency)
        started = time.perf_counter()
        made = service.check_round(T0 + dt.timedelta(hours=1))
        amparo_rate = made / (time.perf_counter() - started)

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda url: peer(runtime, url), urls))
        peer_rate = len(urls) / (time.perf_counter() - started)
        print(
            f"{concurrency:>11}  {amparo_rate:>15.1f}  {peer_rate:>13.1f}  "
            f"{amparo_rate / peer_rate:>5.2f}"
        )
    runtime.close()
    server.shutdown()


if __name__ == "__main__":
    main()
