"""``amparo serve`` as a real process: stopped by SIGTERM, it leaves no folder behind, and
a worker group sweeps the folders of groups that are gone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_leaves_no_temporary_folder(tmp_path: Path, workers: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    env.update(AMPARO_DATA_DIR=str(tmp_path / "data"), AMPARO_ENV="dev", TMPDIR=str(tmp))
    # A group's folder left by a supervisor that is gone (killed) goes at the next start;
    # one whose process lives (this test's) stays.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (tmp / f"amparo-serve-{gone}-stale").mkdir()
    (tmp / f"amparo-serve-{os.getpid()}-live").mkdir()
    planted = {f"amparo-serve-{os.getpid()}-live"}
    port = _free_port()
    argv = [sys.executable, "-c", "from amparo.cli import main; main()", "serve"]
    argv += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as server:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "amparo serve did not become ready in 60 s"
                assert server.poll() is None, server.communicate()[1]
                time.sleep(0.1)
            if workers > 1:  # the group's readiness folder, while it runs
                (group,) = {p.name for p in tmp.iterdir()} - planted
                assert group.startswith(f"amparo-serve-{server.pid}-")
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
    left = {p.name for p in tmp.iterdir()}
    assert left == (planted if workers > 1 else planted | {f"amparo-serve-{gone}-stale"})
