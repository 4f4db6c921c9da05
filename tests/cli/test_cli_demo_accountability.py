"""The accountability part of ``amparo demo``: seven fake platforms on loopback, measured as
their behaviours say, reaching no other host, and afresh on every run."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from amparo.cli._demo_accountability import PLATFORMS, run_accountability


def test_every_platform_is_measured_as_it_behaves_on_loopback_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    peers: list[object] = []
    connect = socket.socket.connect

    def recorded(sock: socket.socket, address: object) -> None:
        peers.append(address)
        connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", recorded)
    assert run_accountability(tmp_path / "acc") == len(PLATFORMS) == 7
    printed = capsys.readouterr().out
    assert "7/7 platforms measured as their behaviour says" in printed
    for name, *_ in PLATFORMS:
        assert name in printed
    for kind in ("gone", "soft_removed", "geo_blocked", "online"):
        assert kind in printed
    assert peers and {p[0] for p in peers if isinstance(p, tuple)} == {"127.0.0.1"}  # type: ignore[index]
    # A second run in the same folder starts afresh.
    assert run_accountability(tmp_path / "acc") == 7
