"""Sightings: intake over the API and the command line, and every bad input it refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from _acc_helpers import T0, FakePlatform, MemoryVault, Route, jpeg
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amparo import accountability as acc
from amparo.cli import app
from amparo.errors import (
    FetchError,
    InputError,
    NotConfiguredError,
    NotFoundError,
    UnsafeURLError,
)
from amparo.runtime import Amparo, Runtime

Headers = Callable[[str], dict[str, str]]


def test_api_records_and_shows_a_sighting(
    client: TestClient,
    headers: Headers,
    fake: FakePlatform,
    vault: MemoryVault,
    add_platform: Callable[..., acc.Platform],
) -> None:
    add_platform(target=fake.url("/dsa"))
    url = fake.serve("/p/1.jpg", Route(body=jpeg(3)))
    h = headers("investigator")
    made = client.post(
        "/v1/accountability/sightings",
        json={"url": url, "found_by": "hotline report 7", "first_seen_at": "2026-03-01T08:00Z"},
        headers=h,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["platform"] == "fakeshare" and body["first_seen_at"] == "2026-03-01T08:00:00+00:00"
    assert vault.items[body["evidence_id"]] == jpeg(3)
    shown = client.get(f"/v1/accountability/sightings/{body['id']}", headers=headers("auditor"))
    assert [e["event"] for e in shown.json()["timeline"]] == ["seen", "recorded"]
    listed = client.get("/v1/accountability/sightings?platform=fakeshare", headers=h).json()
    assert [x["id"] for x in listed] == [body["id"]]
    assert client.get("/v1/accountability/sightings/999", headers=h).status_code == 404
    again = client.post(
        "/v1/accountability/sightings", json={"url": url, "found_by": "again"}, headers=h
    )
    assert again.status_code == 409 and f"sighting {body['id']}" in again.json()["message"]
    assert client.get("/v1/accountability/sightings", headers=headers("scanner")).status_code == 403


def test_api_bad_sightings(
    client: TestClient,
    headers: Headers,
    fake: FakePlatform,
    vault: MemoryVault,
    add_platform: Callable[..., acc.Platform],
) -> None:
    add_platform(target=fake.url("/dsa"), hosts=("fakeshare.example",))
    h = headers("investigator")

    def post(**body: object) -> tuple[int, dict[str, object]]:
        answer = client.post(
            "/v1/accountability/sightings", json={"found_by": "x", **body}, headers=h
        )
        return answer.status_code, answer.json()

    status, body = post(url=fake.url("/p/1.jpg"))  # loopback is on no platform
    assert status == 404 and body["error"] == "not_found" and "platform" in str(body["hint"])
    status, body = post(url=fake.url("/p/1.jpg"), platform="nope")
    assert status == 404 and "nope" in str(body["message"])
    for bad in ("not a url", "ftp://fakeshare.example/x", "http://", "https://[::1"):
        status, body = post(url=bad, platform="fakeshare")
        assert status == 400 and body["error"] == "invalid_input" and body["hint"], bad
    status, body = post(url=fake.url("/x"), platform="fakeshare", first_seen_at="yesterday")
    assert status == 400 and "first_seen_at" in str(body["message"])
    status, body = post(url=fake.url("/x"), platform="fakeshare", first_seen_at="2999-01-01")
    assert status == 400 and "future" in str(body["message"])
    status, body = post(url=fake.url("/x"), platform="fakeshare", found_by="")
    assert status == 400


def test_private_url_without_the_unsafe_flag(
    amparo: Amparo,
    fake: FakePlatform,
    vault: MemoryVault,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_platform(target=fake.url("/dsa"))
    url = fake.serve("/p/1.jpg", Route(body=jpeg(1)))
    monkeypatch.setattr(amparo, "fetcher", dataclasses.replace(amparo.fetcher, allow_private=False))
    with pytest.raises(UnsafeURLError) as caught:
        sight(url)
    assert "AMPARO_UNSAFE_ALLOW_PRIVATE_URLS" in (caught.value.hint or "")
    assert fake.gets == [] and vault.items == {}
    with amparo.session() as s:
        assert acc.list_sightings(s) == []


def test_no_vault_no_sighting(
    amparo: Amparo, fake: FakePlatform, add_platform: Callable[..., acc.Platform]
) -> None:
    add_platform(target=fake.url("/dsa"))
    url = fake.serve("/p/1.jpg", Route(body=jpeg(1)))
    with pytest.raises(NotConfiguredError):
        acc.record_sighting(amparo, None, url, found_by="x", now=T0)
    assert fake.gets == []  # refused before anything was fetched


def test_fetch_failures_record_nothing(
    amparo: Amparo,
    fake: FakePlatform,
    vault: MemoryVault,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"))
    with pytest.raises(FetchError):
        sight(fake.url("/missing.jpg"))
    with amparo.session() as s:
        assert acc.list_sightings(s) == []
    assert vault.items == {}


def test_naive_first_seen_is_refused(amparo: Amparo, vault: MemoryVault) -> None:
    with pytest.raises(InputError):
        acc.record_sighting(
            amparo, vault, "https://x.example/1.jpg", found_by="x",
            first_seen_at=dt.datetime(2026, 1, 1), now=T0,
        )  # fmt: skip
    with pytest.raises(NotFoundError):
        acc.record_sighting(amparo, vault, "https://x.example/1.jpg", found_by="x", now=T0)


def test_cli_sighting_add_and_show(
    amparo: Amparo,
    fake: FakePlatform,
    vault: MemoryVault,
    add_platform: Callable[..., acc.Platform],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_platform(target=fake.url("/dsa"))
    monkeypatch.setattr(Runtime, "open", classmethod(lambda cls, settings, **kw: amparo))
    url = fake.serve("/p/9.jpg", Route(body=jpeg(9)))
    runner = CliRunner()
    added = runner.invoke(
        app, ["accountability", "sighting", "add", url, "--found-by", "crawler", "--json"]
    )
    assert added.exit_code == 0, added.output
    assert '"platform": "fakeshare"' in added.output
    shown = runner.invoke(app, ["accountability", "sighting", "show", "1"])
    assert shown.exit_code == 0 and '"event": "recorded"' in shown.output
    listed = runner.invoke(app, ["accountability", "sighting", "list"])
    assert "fakeshare" in listed.output
    answered = runner.invoke(app, ["accountability", "sighting", "answer", "1", "removed"])
    assert answered.exit_code == 2 and "no notice" in answered.output
    bad = runner.invoke(app, ["accountability", "sighting", "add", "nope", "--found-by", "x"])
    assert bad.exit_code == 2 and "http(s) URL" in bad.output
