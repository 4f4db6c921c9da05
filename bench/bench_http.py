"""Benchmark: Amparo served over HTTP, as a user measures it, next to its ceiling and HMA.

What it does, in one run:

1. Generates N random PDQ hashes from ``--seed`` (the "known material"; the HMA peer set up by
   ``bench/setup_hma_peer.sh`` holds the same hashes for the same N and seed).
2. For each ``--db`` (SQLite, PostgreSQL): a fresh data dir and database, an API key
   (``amparo keys create``), a bank (``amparo bank create``) and the hashes imported from a CSV
   with ``amparo bank import`` (timed: the bulk-import rows/s). Then a real ``amparo serve``
   subprocess, timed from launch until ``GET /status`` answers 200 ``I-AM-ALIVE``.
3. A closed-loop client at 1 and 4 keep-alive connections (each sends its next request when
   the answer arrives) on:
   - ``GET /m/lookup?signal_type=pdq&signal=...``: 10% of the queries (``--match-fraction``)
     are stored hashes with 1-8 random bits flipped (near matches), the rest random hashes
     (misses). A match is a detection, written durably before its answer; 10% is the issue's
     ``/v1/match`` mix, already far above a platform's real rate. Until 2026-12-01 the
     default was half (BENCHMARKS.md gives both);
   - ``POST /v1/match``, 1,000 hashes a request, 10% near matches (rate in hashes/s);
   - ``POST /v1/scan`` of a ~1 MP synthetic photo-like JPEG, and ``POST /m/lookup`` of the same
     files (HMA's upload-and-match route, which both servers have).
4. The in-process ceiling of the same work on the same hashes, from one calling thread (a
   batch lookup, ``query_many``, spreads over the index's helper threads as in a server),
   with the library calls a server makes (``amparo.matching.PdqIndex``,
   ``amparo.signals.hash_media``):
   "efficiency" = HTTP rate / ceiling. For scans, two ceilings: hashing and a lookup alone,
   and the whole scan in process (``amparo.usecases.scan_media`` on a runtime holding the
   same index: hashing, provenance, lookup, policy, the scan record committed), which is
   what the scan's efficiency is measured against; the other is shown beside it.
5. With ``--hma URL``, the same client and the same requests against the HMA peer, and the
   ratio Amparo / HMA.
6. With ``--against SRC`` (another checkout's ``src``, e.g. after ``git worktree add /tmp/old
   REV``), that revision too, on its own copy of the data, the two alternating for
   ``--rounds`` rounds, and the ratio of their median rates per route: what a change did,
   measured through the machine's drift.

The client is ``wrk`` (Debian package ``wrk``) with a Lua script that replays the prepared
requests, or ``--client python``: one process per connection with ``http.client``. The table
shows the client's own CPU per request, since on a 2-CPU machine the client competes with the
server; see BENCHMARKS.md ("Serving over HTTP") for the comparison that chose wrk.

    .venv/bin/python bench/bench_http.py                          # 1M hashes, both databases
    .venv/bin/python bench/bench_http.py --hma http://127.0.0.1:5100
    .venv/bin/python bench/bench_http.py --quick                  # smoke run: 20k hashes, ~1 min
    .venv/bin/python bench/bench_http.py --db postgres --ops lookup --against /tmp/old/src \
        --rounds 3                                                # A/B of a change
    .venv/bin/python bench/bench_http.py --hashes 10000000 --ops none   # import + start-to-ready
    .venv/bin/python bench/bench_http.py --write-hashes F --hashes N    # the peer's hash file

Only Amparo's CLI and HTTP API are driven; the ceiling alone imports ``amparo.matching``,
``amparo.signals``, ``amparo.config`` and (for the whole scan) ``amparo.runtime`` and
``amparo.usecases``; test images come from
``amparo.media.synthetic``. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RADIUS = 31
BANK = "BENCH_HTTP"
MATCH_BATCH = 1000
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)

# What the server team is working towards (printed next to the measured figures).
TARGETS = {
    ("lookup", 1): ">= 700/s, p99 < HMA",
    ("lookup", 4): ">= 1,300/s, p99 < HMA",
    ("match", 1): ">= 20,000 hashes/s",
    ("match", 4): ">= 20,000 hashes/s",
    ("scan", 1): ">= 80% of the whole scan in process",
    ("scan", 4): ">= 80% of the whole scan in process",
}
TARGET_IMPORT_PG = 50_000  # rows/s, PostgreSQL
TARGET_READY_10M = 10.0  # seconds, at 10M hashes

OPS = {
    "lookup": "GET /m/lookup",
    "match": "POST /v1/match (1,000 hashes)",
    "scan": "POST /v1/scan (1 MP JPEG)",
    "upload": "POST /m/lookup (1 MP JPEG)",
    "live": "GET /status/live",
}
UNITS = {
    "lookup": "lookups/s",
    "match": "hashes/s",
    "scan": "scans/s",
    "upload": "scans/s",
    "live": "requests/s",
}


# --------------------------------------------------------------------------- data


def random_hashes(n: int, seed: int) -> npt.NDArray[np.uint8]:
    """The N stored hashes: (n, 32) uint8, the same for a given seed on every machine."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32), dtype=np.uint8)


def hex_lines(h: npt.NDArray[np.uint8]) -> bytes:
    """Rows as lowercase hex, one per line (vectorised: 10M rows in a few seconds)."""
    out = np.empty((len(h), 65), dtype=np.uint8)
    out[:, 0:64:2] = HEX[h >> 4]
    out[:, 1:64:2] = HEX[h & 15]
    out[:, 64] = ord("\n")
    return out.tobytes()


def write_hash_file(path: Path, hashes: npt.NDArray[np.uint8], header: bytes = b"") -> None:
    with path.open("wb") as f:
        f.write(header)
        for start in range(0, len(hashes), 1_000_000):
            f.write(hex_lines(hashes[start : start + 1_000_000]))


def near_matches(
    hashes: npt.NDArray[np.uint8], count: int, rng: np.random.Generator, max_bits: int = 8
) -> list[str]:
    """Stored hashes with 1..max_bits random bits flipped: each matches its source."""
    picked = hashes[rng.integers(0, len(hashes), count)]
    bits = np.unpackbits(picked, axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(1, max_bits + 1)), replace=False)] ^= 1
    return [bytes(r).hex() for r in np.packbits(bits, axis=1)]


def misses(count: int, rng: np.random.Generator) -> list[str]:
    """Random hashes: at 1M stored, the chance that one lies within 31 bits is ~1e-38."""
    return [bytes(r).hex() for r in rng.integers(0, 256, size=(count, 32), dtype=np.uint8)]


@dataclass
class Workload:
    lookups: list[str]  # query hashes for /m/lookup (near matches first, then shuffled)
    lookup_is_match: list[bool]
    batches: list[list[str]]  # /v1/match bodies
    batch_matches: int  # near matches per batch
    jpegs: list[bytes]


def make_workload(hashes: npt.NDArray[np.uint8], args: argparse.Namespace, seed: int) -> Workload:
    rng = np.random.default_rng(seed + 1)
    n_match = round(args.queries * args.match_fraction)
    queries = [(h, True) for h in near_matches(hashes, n_match, rng)]
    queries += [(h, False) for h in misses(args.queries - n_match, rng)]
    random.Random(seed).shuffle(queries)
    per_batch = round(MATCH_BATCH * args.batch_match_fraction)
    batches = []
    for _ in range(args.batches):
        batch = near_matches(hashes, per_batch, rng) + misses(MATCH_BATCH - per_batch, rng)
        random.Random(int(rng.integers(1 << 30))).shuffle(batch)
        batches.append(batch)
    from amparo.media import synthetic  # benign generated images only

    jpegs = [
        synthetic.encode(synthetic.photo_like(1152, 864, seed=1000 + i), "JPEG", quality=90)
        for i in range(args.images)
    ]
    return Workload([q for q, _ in queries], [m for _, m in queries], batches, per_batch, jpegs)


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: bytes = b""
    content_type: str = ""


BOUNDARY = "ampbench7MA4YWxkTrZu0gW"


def multipart(field_name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field_name}"; '
        f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode(), (
        f"multipart/form-data;boundary={BOUNDARY}"
    )


def requests_for(op: str, w: Workload) -> list[Req]:
    if op == "lookup":
        return [Req("GET", f"/m/lookup?signal_type=pdq&signal={q}") for q in w.lookups]
    if op == "live":  # the HTTP stack alone: no key, no work (and the clients' own cost)
        return [Req("GET", "/status/live")]
    if op == "match":
        return [
            Req(
                "POST",
                "/v1/match",
                json.dumps({"hashes": [{"signal_type": "pdq", "value": h} for h in b]}).encode(),
                "application/json",
            )
            for b in w.batches
        ]
    if op in ("scan", "upload"):
        path, name = ("/v1/scan", "file") if op == "scan" else ("/m/lookup", "photo")
        out = []
        for i, data in enumerate(w.jpegs):
            body, ctype = multipart(name, f"photo{i}.jpg", data)
            out.append(Req("POST", path, body, ctype))
        return out
    raise ValueError(op)


def items_per_request(op: str) -> int:
    return MATCH_BATCH if op == "match" else 1


def write_request_file(path: Path, reqs: list[Req], auth: str | None) -> None:
    """The requests in a form the Lua script (and the Python client) replays."""
    with path.open("wb") as f:
        f.write(f"AUTH {auth or '-'}\n".encode())
        for r in reqs:
            f.write(f"{r.method} {r.path} {len(r.body)} {r.content_type or '-'}\n".encode())
            f.write(r.body)


def read_request_file(path: Path) -> tuple[str | None, list[Req]]:
    reqs = []
    with path.open("rb") as f:
        auth = f.readline().decode().split(" ", 1)[1].strip()
        while line := f.readline():
            method, p, n, ctype = line.decode().split()
            reqs.append(Req(method, p, f.read(int(n)), "" if ctype == "-" else ctype))
    return (None if auth == "-" else auth), reqs


WRK_LUA = r"""
-- Replays prepared requests in order, round robin over the connections of this thread.
local reqs, n, i = {}, 0, 0
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local auth = f:read("*l"):match("^AUTH (.*)$")
  while true do
    local line = f:read("*l")
    if not line then break end
    local method, path, len, ctype = line:match("^(%S+) (%S+) (%d+) (%S+)$")
    local body = nil
    if tonumber(len) > 0 then body = f:read(tonumber(len)) end
    local headers = {}
    if auth ~= "-" then headers["Authorization"] = auth end
    if ctype ~= "-" then headers["Content-Type"] = ctype end
    n = n + 1
    reqs[n] = wrk.format(method, path, headers, body)
  end
  f:close()
  i = tonumber(args[2]) % n
end
function request()
  i = i % n + 1
  return reqs[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON:{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
"""


# --------------------------------------------------------------------------- clients


@dataclass
class RunResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    client_cpu_s: float
    server_cpu_s: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _wait_rusage(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru.ru_utime + ru.ru_stime


def run_wrk(url: str, reqfile: Path, luafile: Path, conns: int, seconds: float) -> RunResult:
    cmd = [
        "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "60s",
        "-s", str(luafile), url, "--", str(reqfile), str(random.randrange(1 << 20)),
    ]  # fmt: skip
    # One pipe for both streams (read to the end, then reaped with its rusage).
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()  # type: ignore[union-attr]
    rc, cpu = _wait_rusage(proc)
    line = next((ln for ln in out.decode().splitlines() if ln.startswith("JSON:")), None)
    if rc != 0 or line is None:
        raise RuntimeError(f"wrk failed ({rc}): {out.decode()[-1000:]}")
    s = json.loads(line[5:])
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return RunResult(
        s["requests"], s["duration_us"] / 1e6, s["p50_us"] / 1e3, s["p99_us"] / 1e3, errors, cpu
    )


def client_worker(url: str, reqfile: Path, start_at: float, seconds: float, out: Path) -> None:
    """One connection of the Python client: closed loop, keep-alive, until the deadline."""
    auth, reqs = read_request_file(reqfile)
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Authorization": auth} if auth else {}
    i = random.randrange(len(reqs))
    lat: list[float] = []
    errors = 0
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while (t := time.perf_counter()) < deadline:
        r = reqs[i % len(reqs)]
        i += 1
        h = dict(headers, **({"Content-Type": r.content_type} if r.content_type else {}))
        try:
            conn.request(r.method, r.path, r.body or None, h)
            resp = conn.getresponse()
            resp.read()
            if resp.status >= 400:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
        lat.append(time.perf_counter() - t)
    out.write_text(json.dumps({"lat": lat, "errors": errors, "wall": time.perf_counter() - t0}))


def run_python(url: str, reqfile: Path, conns: int, seconds: float, tmp: Path) -> RunResult:
    start_at = time.time() + 0.5
    procs = []
    for c in range(conns):
        out = tmp / f"client{c}.json"
        cmd = [sys.executable, __file__, "--_client-worker", url, str(reqfile),
               str(start_at), str(seconds), str(out)]  # fmt: skip
        procs.append((subprocess.Popen(cmd), out))
    lat: list[float] = []
    errors, cpu, wall = 0, 0.0, 0.0
    for proc, out in procs:
        rc, c = _wait_rusage(proc)
        if rc != 0:
            raise RuntimeError(f"python client exited {rc}")
        d = json.loads(out.read_text())
        lat += d["lat"]
        errors += d["errors"]
        cpu += c
        wall = max(wall, d["wall"])
    lat.sort()
    return RunResult(
        len(lat),
        wall,
        1e3 * lat[len(lat) // 2] if lat else 0.0,
        1e3 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0,
        errors,
        cpu,
    )


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(
    url: str, path: str, auth: str | None = None, timeout: float = 5.0
) -> tuple[int, bytes]:
    p = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(p.hostname, p.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": auth} if auth else {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def http_send(url: str, req: Req, auth: str | None) -> tuple[int, bytes]:
    p = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(p.hostname, p.port, timeout=120)
    headers = {"Authorization": auth} if auth else {}
    if req.content_type:
        headers["Content-Type"] = req.content_type
    try:
        conn.request(req.method, req.path, req.body or None, headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def wait_ready(
    url: str, proc: subprocess.Popen[bytes] | None, timeout: float, streak: int = 10
) -> dict[str, float]:
    """Seconds from now until /status/live and /status answer 200 (polled every 20 ms).

    Ready means ``streak`` consecutive ``I-AM-ALIVE`` answers on new connections, timed from
    the first of them: with several server processes (gunicorn workers) each loads its index
    on its own, and a probe reaches any one of them.
    """
    t0 = time.perf_counter()
    seen: dict[str, float] = {}
    ok_since: float | None = None
    ok = 0
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        for route in ("/status/live", "/status"):
            if route in seen:
                continue
            good = False
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, body = http_get(url, route, timeout=2)
                good = status == 200 and body.strip() == b"I-AM-ALIVE"
            if route == "/status/live" and good:
                seen[route] = time.perf_counter() - t0
            elif route == "/status":
                if not good:
                    ok, ok_since = 0, None
                    continue
                ok += 1
                ok_since = ok_since if ok_since is not None else time.perf_counter() - t0
                if ok >= streak:
                    seen[route] = ok_since
        if "/status" in seen:
            return seen
        if not ok:
            time.sleep(0.02)
    raise RuntimeError(f"{url}/status did not answer I-AM-ALIVE within {timeout:.0f} s")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(d))
        cpu[int(d)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0.0)
        todo += children.get(p, [])
    return total


def find_pid_on_port(port: int) -> int | None:
    """The pid listening on 127.0.0.1:port (to count an external server's CPU), if visible."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                    inode = parts[9]
                    break
        if inode:
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{d}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{d}/fd/{fd}") == target:
                        found.append(int(d))
                        break
    if not found:
        return None
    # The master: the listener whose parent does not also hold the socket (gunicorn workers
    # inherit it from their master).
    for pid in found:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid not in found:
                return pid
    return found[0]


@dataclass
class AmparoServer:
    db: str  # "sqlite" or "postgres"
    workdir: Path
    args: argparse.Namespace
    env: dict[str, str] = field(default_factory=dict)
    key: str = ""
    url: str = ""
    proc: subprocess.Popen[bytes] | None = None
    pg_db: str | None = None
    import_s: float = 0.0
    ready: list[dict[str, float]] = field(default_factory=list)
    log: Path | None = None
    src: str | None = None  # --against: another checkout's src folder, put on PYTHONPATH

    @property
    def label(self) -> str:
        return f"Amparo {self.db}" + (" (against)" if self.src else "")

    @property
    def tag(self) -> str:
        """The side in file and database names: one data dir and database per side."""
        return f"{self.db}-against" if self.src else self.db

    def cli(self, *argv: str) -> str:
        amparo = shutil.which("amparo", path=str(Path(sys.executable).parent)) or "amparo"
        r = subprocess.run(
            [amparo, *argv], env=self.env, capture_output=True, text=True, check=False
        )
        if r.returncode != 0:
            raise RuntimeError(f"amparo {' '.join(argv)} failed ({r.returncode}): {r.stderr}")
        return r.stdout

    def prepare(self, csv: Path) -> None:
        data = self.workdir / f"data-{self.tag}"
        data.mkdir(parents=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
        self.env.update(AMPARO_DATA_DIR=str(data), AMPARO_ENV="dev")
        if self.src:
            self.env["PYTHONPATH"] = self.src
        if self.db == "postgres":
            self.pg_db = f"amparo_bench_http_{os.getpid()}_{self.tag.replace('-', '_')}"
            pg_admin(self.args.pg_url, f'DROP DATABASE IF EXISTS "{self.pg_db}"')
            pg_admin(self.args.pg_url, f'CREATE DATABASE "{self.pg_db}"')
            base = urllib.parse.urlsplit(self.args.pg_url)
            self.env["AMPARO_DATABASE_URL"] = urllib.parse.urlunsplit(
                ("postgresql+psycopg", base.netloc, f"/{self.pg_db}", "", "")
            )
        out = self.cli("keys", "create", "--role", "admin", "--name", "bench-http")
        self.key = next(ln.strip() for ln in out.splitlines() if ln.strip().startswith("amp_"))
        self.cli("bank", "create", BANK, "--description", "bench_http random PDQ hashes")
        t = time.perf_counter()
        out = self.cli("bank", "import", BANK, str(csv))
        self.import_s = time.perf_counter() - t
        if f"imported {self.args.hashes}" not in out:
            raise RuntimeError(f"unexpected import output: {out!r}")

    def start(self) -> dict[str, float]:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        cmd = ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        if self.args.workers is not None:
            if "--workers" in self.cli("serve", "--help"):
                cmd += ["--workers", str(self.args.workers)]
            else:
                print("note: amparo serve has no --workers option; using its default", flush=True)
        amparo = shutil.which("amparo", path=str(Path(sys.executable).parent)) or "amparo"
        argv = [amparo, *cmd]
        if self.args.server == "granian":  # the same app under another ASGI server
            granian = shutil.which("granian", path=str(Path(sys.executable).parent))
            if granian is None:
                raise RuntimeError("--server granian: pip install granian into this venv")
            argv = [granian, "--interface", "asgi", "--factory", "--host", "127.0.0.1"]
            argv += ["--port", str(port), "--workers", str(self.args.workers or 1)]
            argv += ["--loop", "uvloop", "--log-level", "warning"]
            argv += ["amparo.api:app_from_environment"]
        self.log = self.workdir / f"serve-{self.tag}.log"
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        seen = wait_ready(self.url, self.proc, self.args.ready_timeout)
        seen["launch"] = time.perf_counter() - t - seen["/status"]  # polling offset, ~0
        self.ready.append(seen)
        return seen

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        if self.pg_db and not self.args.keep:
            with contextlib.suppress(Exception):
                pg_admin(self.args.pg_url, f'DROP DATABASE IF EXISTS "{self.pg_db}"')


def pg_admin(url: str, sql: str) -> None:
    import psycopg  # Amparo's own dependency; used here only to create/drop the bench database

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- ceiling


def ceiling(hashes: npt.NDArray[np.uint8], w: Workload, seconds: float) -> dict[str, float]:
    """Single-threaded in-process rate of each operation (same hashes, same queries)."""
    from amparo.config import MediaLimits
    from amparo.matching import PdqIndex
    from amparo.signals import hash_media

    index = PdqIndex.from_arrays(np.arange(1, len(hashes) + 1, dtype=np.uint32), hashes)
    index.query_many(w.lookups[:10], RADIUS)  # warm the probe plan

    def rate(fn: Any, items: int, pool: int) -> float:
        done, i, t0 = 0, 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds or done == 0:
            fn(i % pool)
            i += 1
            done += items
        return done / elapsed

    limits = MediaLimits()

    def scan(i: int) -> None:
        s = hash_media(w.jpegs[i], limits)
        if s.pdq is not None:
            index.query(s.pdq.hex, RADIUS)

    out = {
        "lookup": rate(lambda i: index.query(w.lookups[i], RADIUS), 1, len(w.lookups)),
        "match": rate(
            lambda i: index.query_many(w.batches[i], RADIUS), MATCH_BATCH, len(w.batches)
        ),
        "scan": rate(scan, 1, len(w.jpegs)),
    }
    out["upload"] = out["scan"]
    out["scan_whole"] = whole_scan_rate(index, w.jpegs, seconds)
    found = sum(bool(index.query(q, RADIUS)) for q in w.lookups[:200])
    expect = sum(w.lookup_is_match[:200])
    if found != expect:
        raise RuntimeError(f"ceiling: {found} of the first 200 queries matched, expected {expect}")
    return out


def whole_scan_rate(index: Any, jpegs: list[bytes], seconds: float) -> float:
    """Scans a second of ``amparo.usecases.scan_media`` in process, one thread: what
    ``POST /v1/scan`` does (hashing, provenance, lookup against ``index``, policy, the scan
    record committed to a SQLite file, one commit a scan), without HTTP."""
    from amparo.config import Settings
    from amparo.runtime import Runtime
    from amparo.usecases import scan_media

    with tempfile.TemporaryDirectory(prefix="bench_http-ceiling-") as tmp:
        runtime = Runtime.open(Settings(data_dir=Path(tmp)))
        try:
            runtime.follower.ensure_loaded()
            runtime.matcher.indexes = {**runtime.matcher.indexes, "pdq": index}
            done, t0 = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - t0) < seconds or done == 0:
                scan_media(runtime, jpegs[done % len(jpegs)], source="upload")
                done += 1
            return done / elapsed
        finally:
            runtime.close()


# --------------------------------------------------------------------------- checks


def check_answers(url: str, auth: str | None, w: Workload, ops: list[str], label: str) -> None:
    """Before timing: a server's answers are right (else a fast error would look fast)."""
    n = min(40, len(w.lookups))
    if "lookup" in ops:
        for q, is_match in zip(w.lookups[:n], w.lookup_is_match[:n], strict=True):
            status, body = http_get(url, f"/m/lookup?signal_type=pdq&signal={q}", auth, 60)
            waited = time.perf_counter()
            # With --workers N each worker loads its own index: /status may have reached
            # a ready one while another is still loading (it answers 503 until it is).
            while status == 503 and time.perf_counter() - waited < 900:
                time.sleep(0.5)
                status, body = http_get(url, f"/m/lookup?signal_type=pdq&signal={q}", auth, 60)
            if status != 200:
                raise RuntimeError(f"{label}: /m/lookup answered {status}: {body[:300]!r}")
            got = any(json.loads(body).values())
            if got != is_match:
                raise RuntimeError(
                    f"{label}: /m/lookup of a {'near match' if is_match else 'miss'} answered "
                    f"{body[:200]!r}; are its hashes the same N and --seed?"
                )
    if "match" in ops:
        status, body = http_send(url, requests_for("match", w)[0], auth)
        if status != 200:
            raise RuntimeError(f"{label}: /v1/match answered {status}: {body[:300]!r}")
        d = json.loads(body)
        items = d.get("results", d.get("hashes", d)) if isinstance(d, dict) else d
        matched = sum(1 for r in items if isinstance(r, dict) and r.get("matched"))
        if matched != w.batch_matches:
            raise RuntimeError(f"{label}: /v1/match matched {matched}, expected {w.batch_matches}")
    for op in ("scan", "upload"):
        if op in ops:
            status, body = http_send(url, requests_for(op, w)[0], auth)
            if status != 200:
                raise RuntimeError(f"{label}: {OPS[op]} answered {status}: {body[:300]!r}")


# --------------------------------------------------------------------------- driver


@dataclass
class Row:
    server: str
    op: str
    conns: int
    result: RunResult | None
    note: str = ""
    load: float = 0.0  # 1-minute load average when the run started (other jobs share the CPUs)


def measure(
    label: str,
    url: str,
    auth: str | None,
    w: Workload,
    ops: list[str],
    args: argparse.Namespace,
    tmp: Path,
    server_pid: int | None,
) -> list[Row]:
    rows = []
    for op in ops:
        reqfile = tmp / f"requests-{op}.bin"
        write_request_file(reqfile, requests_for(op, w), auth)
        for conns in args.conns:
            if args.warmup > 0:
                run_client(args.client, url, reqfile, conns, args.warmup, tmp)
            load = os.getloadavg()[0]
            cpu0 = process_tree_cpu(server_pid) if server_pid else None
            r = run_client(args.client, url, reqfile, conns, args.duration, tmp)
            if server_pid and cpu0 is not None:
                r.server_cpu_s = process_tree_cpu(server_pid) - cpu0
            rows.append(Row(label, op, conns, r, load=load))
            print(
                f"  {label:<18} {OPS[op]:<32} c={conns}: {r.rate * items_per_request(op):>10,.0f} "
                f"{UNITS[op]}, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, errors {r.errors}",
                flush=True,
            )
    return rows


def run_client(
    client: str, url: str, reqfile: Path, conns: int, seconds: float, tmp: Path
) -> RunResult:
    if client == "wrk":
        return run_wrk(url, reqfile, tmp / "replay.lua", conns, seconds)
    return run_python(url, reqfile, conns, seconds, tmp)


def fmt_rate(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def print_report(
    args: argparse.Namespace,
    rows: list[Row],
    ceil: dict[str, float] | None,
    servers: list[AmparoServer],
    hma: dict[str, Any] | None,
) -> None:
    print()
    print(f"## bench_http: {args.hashes:,} hashes, client {args.client}, {args.duration:g} s/run")
    print(
        f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M')}; lookup mix {args.match_fraction:.0%} near matches "
        f"(1-8 bits flipped), the rest random misses; /v1/match {MATCH_BATCH:,} hashes a "
        f"request, {args.batch_match_fraction:.0%} near matches; JPEGs 1152x864 photo-like q90"
    )
    print()
    print("| server | operation | clients | rate | unit | p50 ms | p99 ms | efficiency | vs HMA |"
          " target | errors | client CPU us/req | server CPU ms/req | load |")  # fmt: skip
    print("|---|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    hma_rates = {
        (r.op, r.conns): r.result.rate * items_per_request(r.op)
        for r in rows
        if r.server == "HMA" and r.result
    }
    hma_p99 = {(r.op, r.conns): r.result.p99_ms for r in rows if r.server == "HMA" and r.result}
    for r in rows:
        res = r.result
        if res is None:
            print(f"| {r.server} | {OPS[r.op]} | {r.conns} | - | | | | | | | | | | {r.note} |")
            continue
        rate = res.rate * items_per_request(r.op)
        eff = f"{rate / ceil[r.op]:.0%}" if ceil and r.op in ceil and r.server != "HMA" else "-"
        if r.op == "scan" and ceil and "scan_whole" in ceil and r.server != "HMA":
            eff = f"{rate / ceil['scan_whole']:.0%} (hashing {eff})"
        vs = "-"
        if r.server != "HMA":
            peer_op = "lookup" if r.op == "match" else "upload" if r.op == "scan" else r.op
            if hma_rates.get((peer_op, r.conns)):
                vs = f"{rate / hma_rates[peer_op, r.conns]:.1f}x"
                if r.op == "lookup" and (r.op, r.conns) in hma_p99:
                    vs += f" (p99 {res.p99_ms / hma_p99[r.op, r.conns]:.2f}x)"
        target = TARGETS.get((r.op, r.conns), "") if r.server != "HMA" else ""
        per = res.requests or 1
        scpu = f"{1e3 * res.server_cpu_s / per:.2f}" if res.server_cpu_s is not None else "-"
        print(
            f"| {r.server} | {OPS[r.op]} | {r.conns} | {fmt_rate(rate)} | {UNITS[r.op]} | "
            f"{res.p50_ms:.1f} | {res.p99_ms:.1f} | {eff} | {vs} | {target} | {res.errors} | "
            f"{1e6 * res.client_cpu_s / per:.0f} | {scpu} | {r.load:.1f} |"
        )
    print()
    if ceil:
        print(
            "In-process ceiling (one calling thread, same hashes and queries; query_many"
            " spreads over the index's helper threads as in a server): "
            + ", ".join(
                f"{OPS[k].split(' (')[0]} {fmt_rate(v)} {UNITS[k]}"
                for k, v in ceil.items()
                if k in OPS and k != "upload"
            )
            + f", whole scan {fmt_rate(ceil['scan_whole'])} scans/s (scan = hash_media +"
            " PdqIndex.query, the ceiling of POST /m/lookup; whole scan = usecases.scan_media:"
            " also provenance, policy and the scan record committed, the ceiling of /v1/scan)"
        )
    for s in servers:
        rate = args.hashes / s.import_s if s.import_s else 0
        tgt = f" (target >= {TARGET_IMPORT_PG:,})" if s.db == "postgres" else ""
        ready = ", ".join(f"{d['/status']:.2f} s" for d in s.ready)
        live = ", ".join(f"{d.get('/status/live', float('nan')):.2f} s" for d in s.ready)
        rtgt = f" (target < {TARGET_READY_10M:g} s at 10M)" if args.hashes >= 10_000_000 else ""
        print(
            f"{s.label}: bank import {args.hashes:,} rows in {s.import_s:.1f} s = "
            f"{rate:,.0f} rows/s{tgt}; start to ready (/status I-AM-ALIVE) {ready}{rtgt} "
            f"(/status/live {live})"
        )
    if args.against:
        print_against(rows)
    if hma:
        print(f"HMA at {hma['url']}: " + hma.get("note", ""))
    if hma and "ratio_note" in hma:
        print(hma["ratio_note"])
    print(
        "vs HMA: /v1/match is compared with HMA's /m/lookup (HMA has no batch route: hashes "
        "checked per second), /v1/scan with HMA's POST /m/lookup of the same file."
    )


def serve_round(
    s: AmparoServer, w: Workload, args: argparse.Namespace, tmp: Path, *, first: bool
) -> list[Row]:
    """Start ``s`` (timed, ``--ready-rounds`` times in its first round), check its answers
    (first round), measure every op, stop it."""
    for _ in range(max(1, args.ready_rounds) if first else 1):
        s.stop()
        ready = s.start()
        print(f"  {s.label} ready after {ready['/status']:.2f} s", flush=True)
    if first:
        check_answers(s.url, f"Bearer {s.key}", w, args.ops, s.label)
    pid = s.proc.pid if s.proc else None
    label = s.label + (" granian" if args.server == "granian" else "")
    try:
        return measure(label, s.url, f"Bearer {s.key}", w, args.ops, args, tmp, pid)
    finally:
        s.stop()


def print_against(rows: list[Row]) -> None:
    """This revision's median rate over the other's (--against), per route and clients."""
    rates: dict[tuple[str, str, int], list[float]] = {}
    for r in rows:
        if r.result is not None:
            rates.setdefault((r.server, r.op, r.conns), []).append(r.result.rate)
    for (server, op, conns), new in rates.items():
        base, granian, _ = server.partition(" granian")
        old = rates.get((f"{base} (against){granian}", op, conns))
        if old is None:
            continue
        print(
            f"{server} {OPS[op]} c={conns}: {statistics.median(new) / statistics.median(old):.2f}x"
            f" the other revision (medians of {len(new)} and {len(old)} rounds)"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hashes", type=int, default=1_000_000, help="stored hashes (default 1M)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="admin URL to create/drop the benchmark database",
    )
    p.add_argument(
        "--ops",
        default="lookup,match,scan,upload",
        help="comma list of lookup, match, scan, upload, live (GET /status/live); "
        "none: import and start only",
    )
    p.add_argument("--conns", type=int, nargs="+", default=[1, 4])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each run")
    p.add_argument(
        "--client",
        choices=["wrk", "python"],
        default=None,
        help="load generator (default: wrk if installed, else python)",
    )
    p.add_argument("--queries", type=int, default=20_000, help="distinct /m/lookup queries")
    p.add_argument(
        "--match-fraction",
        type=float,
        default=0.10,
        help="share of /m/lookup queries that are near matches (default 0.10, as the issue's "
        "/v1/match mix; each one is a detection written before its answer: 0.5 and 1 are "
        "the write path's stress tests)",
    )
    p.add_argument("--batches", type=int, default=20, help="distinct /v1/match bodies")
    p.add_argument("--batch-match-fraction", type=float, default=0.10)
    p.add_argument("--images", type=int, default=8, help="distinct 1 MP JPEGs to scan")
    p.add_argument(
        "--workers", type=int, default=None, help="amparo serve --workers N (if the CLI has it)"
    )
    p.add_argument(
        "--ready-rounds",
        type=int,
        default=1,
        help="start the server this many times to time start-to-ready",
    )
    p.add_argument("--ready-timeout", type=float, default=600.0)
    p.add_argument("--no-ceiling", action="store_true")
    p.add_argument(
        "--server",
        choices=["uvicorn", "granian"],
        default="uvicorn",
        help="ASGI server: uvicorn as `amparo serve` runs it (uvloop, httptools), or granian "
        "(pip install granian) running the same app, to compare the two",
    )
    p.add_argument(
        "--against",
        metavar="SRC",
        help="also serve another revision (its src folder, e.g. after `git worktree add "
        "/tmp/old REV`: /tmp/old/src) on its own copy of the data, alternating with this one "
        "round by round, and report new / old per row",
    )
    p.add_argument("--rounds", type=int, default=1, help="measured rounds per server (default 1)")
    p.add_argument("--hma", metavar="URL", help="HMA peer, e.g. http://127.0.0.1:5100")
    p.add_argument(
        "--hma-start",
        metavar="CMD",
        help="shell command that (re)starts the peer: its start-to-ready is timed",
    )
    p.add_argument("--hma-only", action="store_true", help="measure the HMA peer only")
    p.add_argument("--keep", action="store_true", help="keep the work dir and database")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 20k hashes, SQLite, 1 s runs, fewer queries",
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument(
        "--write-hashes",
        metavar="FILE",
        help="only write the N hashes for --seed, one hex per line, and exit",
    )
    p.add_argument("--_client-worker", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.hashes = 20_000 if args.hashes == 1_000_000 else args.hashes
        args.db = "sqlite" if args.db == "both" else args.db
        args.duration, args.warmup = 1.0, 0.3
        args.queries, args.batches, args.images = 500, 4, 2
    if args.hma_only and not args.hma:
        p.error("--hma-only needs --hma URL")
    args.ops = [] if args.ops == "none" else args.ops.split(",")
    for op in args.ops:
        if op not in OPS:
            p.error(f"unknown op {op!r}; choose from {', '.join(OPS)}")
    if args.client is None:
        args.client = "wrk" if shutil.which("wrk") else "python"
        if args.client == "python":
            print("note: wrk not found (Debian: apt-get install wrk); using the Python client "
                  "(it costs the server more CPU on a 2-CPU machine)", flush=True)  # fmt: skip
    elif args.client == "wrk" and not shutil.which("wrk"):
        p.error("wrk is not installed: apt-get install wrk (Debian), or --client python")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._client_worker:
        url, reqfile, start_at, seconds, out = args._client_worker
        client_worker(url, Path(reqfile), float(start_at), float(seconds), Path(out))
        return 0
    hashes = random_hashes(args.hashes, args.seed)
    if args.write_hashes:
        write_hash_file(Path(args.write_hashes), hashes)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench_http-"))
    (tmp / "replay.lua").write_text(WRK_LUA)
    print(f"work dir {tmp}; generating the workload", flush=True)
    w = make_workload(hashes, args, args.seed)
    rows: list[Row] = []
    servers: list[AmparoServer] = []
    ceil = None
    hma: dict[str, Any] | None = None
    try:
        if args.ops and not args.no_ceiling and not args.hma_only:
            print("in-process ceiling", flush=True)
            ceil = ceiling(hashes, w, min(3.0, args.duration))
            print("  " + ", ".join(f"{k} {fmt_rate(v)}/s" for k, v in ceil.items()), flush=True)
        if not args.hma_only:
            csv = tmp / "hashes.csv"
            write_hash_file(csv, hashes, b"pdq\n")
            del hashes
            srcs = [None, str(Path(args.against).resolve())] if args.against else [None]
            for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
                group = [AmparoServer(db, tmp, args, src=src) for src in srcs]
                servers += group
                try:
                    for s in group:
                        print(f"{s.label}: importing {args.hashes:,} hashes", flush=True)
                        s.prepare(csv)
                        rate = args.hashes / s.import_s
                        print(f"  import {s.import_s:.1f} s ({rate:,.0f} rows/s)")
                    # Sides alternate round by round, so that the machine's drift falls on both.
                    for n in range(args.rounds):
                        for s in group:
                            rows += serve_round(s, w, args, tmp, first=n == 0)
                finally:
                    for s in group:
                        s.cleanup()
        if args.hma:
            hma = {"url": args.hma}
            if args.hma_start:
                t = time.perf_counter()
                subprocess.run(args.hma_start, shell=True, check=True)
                wait_ready(args.hma, None, args.ready_timeout)
                hma["note"] = f"start to ready {time.perf_counter() - t:.1f} s ({args.hma_start})"
            else:
                wait_ready(args.hma, None, 10)
                hma["note"] = "already running"
            peer_ops = [op for op in args.ops if op in ("lookup", "upload", "live")]
            check_answers(args.hma, None, w, peer_ops, "HMA")
            port = urllib.parse.urlsplit(args.hma).port or 80
            pid = find_pid_on_port(port)
            print(f"HMA at {args.hma} (pid {pid})", flush=True)
            rows += measure("HMA", args.hma, None, w, peer_ops, args, tmp, pid)
    finally:
        for s in servers:
            s.cleanup()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print_report(args, rows, ceil, servers, hma)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "hashes": args.hashes,
                    "client": args.client,
                    "ceiling": ceil,
                    "import_rows_per_s": {s.tag: args.hashes / s.import_s for s in servers},
                    "ready_s": {s.tag: [d["/status"] for d in s.ready] for s in servers},
                    "hma": hma,
                    "rows": [
                        {
                            "server": r.server,
                            "op": r.op,
                            "clients": r.conns,
                            "rate": r.result.rate * items_per_request(r.op) if r.result else None,
                            "p50_ms": r.result.p50_ms if r.result else None,
                            "p99_ms": r.result.p99_ms if r.result else None,
                            "errors": r.result.errors if r.result else None,
                            "load": r.load,
                        }
                        for r in rows
                    ],
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
