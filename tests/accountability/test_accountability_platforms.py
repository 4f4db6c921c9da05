"""Platforms: added, listed and shown over the API and the command line; bad input refused
with a clear error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amparo import accountability as acc
from amparo.cli import app
from amparo.config import Settings
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.runtime import Amparo

Headers = Callable[[str], dict[str, str]]
BODY = {
    "name": "fakeshare",
    "hostnames": ["fakeshare.example", "cdn.fakeshare.example"],
    "channel": "email",
    "target": "abuse@fakeshare.example",
    "legal_contact": "legal@fakeshare.example",
    "trusted_flagger": True,
}


def test_api_add_list_show(client: TestClient, headers: Headers) -> None:
    made = client.post("/v1/accountability/platforms", json=BODY, headers=headers("investigator"))
    assert made.status_code == 201, made.text
    assert made.json()["hostnames"] == ["fakeshare.example", "cdn.fakeshare.example"]
    listed = client.get("/v1/accountability/platforms", headers=headers("auditor")).json()
    assert [p["name"] for p in listed] == ["fakeshare"]
    shown = client.get("/v1/accountability/platforms/fakeshare", headers=headers("auditor"))
    assert shown.json()["trusted_flagger"] is True


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"channel": "fax"}, 400, "invalid_input"),
        ({"target": "not-an-address"}, 400, "invalid_input"),
        ({"channel": "webhook", "target": "ftp://x.example/"}, 400, "invalid_input"),
        ({"channel": "api", "target": "Bad Adapter"}, 400, "invalid_input"),
        ({"hostnames": []}, 400, "invalid_input"),
        ({"hostnames": ["https://fakeshare.example/"]}, 400, "invalid_input"),
        ({"name": "no spaces please"}, 400, "invalid_input"),
        ({"legal_contact": "legal at example"}, 400, "invalid_input"),
    ],
)
def test_api_bad_platforms(
    client: TestClient, headers: Headers, change: dict[str, object], status: int, code: str
) -> None:
    answer = client.post(
        "/v1/accountability/platforms", json=BODY | change, headers=headers("investigator")
    )
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == code and body["message"] and body["hint"]


def test_api_conflicts_unknown_and_roles(client: TestClient, headers: Headers) -> None:
    h = headers("investigator")
    assert client.post("/v1/accountability/platforms", json=BODY, headers=h).status_code == 201
    again = client.post("/v1/accountability/platforms", json=BODY, headers=h)
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    other = BODY | {"name": "other", "hostnames": ["fakeshare.example"]}
    taken = client.post("/v1/accountability/platforms", json=other, headers=h)
    assert taken.status_code == 409 and "fakeshare.example" in taken.json()["message"]
    missing = client.get("/v1/accountability/platforms/nope", headers=h)
    assert missing.status_code == 404 and missing.json()["hint"]
    scanner = client.post("/v1/accountability/platforms", json=BODY, headers=headers("scanner"))
    assert scanner.status_code == 403
    assert client.get("/v1/accountability/platforms", headers=headers("scanner")).status_code == 403


def test_platform_for_url_prefers_the_longest_host(amparo: Amparo) -> None:
    with amparo.session() as s:
        acc.add_platform(s, "a", hostnames=["example.org"], channel="api", target="a")
        acc.add_platform(s, "b", hostnames=["cdn.example.org"], channel="api", target="b")
    with amparo.session() as s:
        assert acc.platform_for_url(s, "https://x.cdn.example.org/1.jpg").name == "b"  # type: ignore[union-attr]
        assert acc.platform_for_url(s, "https://example.org/1.jpg").name == "a"  # type: ignore[union-attr]
        assert acc.platform_for_url(s, "https://badexample.org/1.jpg") is None
        with pytest.raises(NotFoundError):
            acc.get_platform(s, "c")
    with amparo.session() as s, pytest.raises(ConflictError):
        acc.add_platform(s, "a", hostnames=["z.example"], channel="api", target="a")
    with amparo.session() as s, pytest.raises(InputError):
        acc.add_platform(s, "c", hostnames=["c.example"], channel="email", target="x")


def test_cli_add_list_show(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("AMPARO_DATABASE_URL", settings.resolved_database_url)
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "accountability", "platform", "add", "fakeshare",
            "--host", "fakeshare.example", "--channel", "webhook",
            "--target", "https://fakeshare.example/dsa", "--trusted-flagger",
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["accountability", "platform", "list", "--json"])
    assert '"name": "fakeshare"' in listed.output
    shown = runner.invoke(app, ["accountability", "platform", "show", "fakeshare"])
    assert "trusted flagger yes" in shown.output
    missing = runner.invoke(app, ["accountability", "platform", "show", "nope"])
    assert missing.exit_code == 2 and "no platform named 'nope'" in missing.output
    bad = runner.invoke(
        app,
        ["accountability", "platform", "add", "x", "--host", "x.example", "--channel", "fax",
         "--target", "y"],
    )  # fmt: skip
    assert bad.exit_code == 2 and "unknown notice channel" in bad.output
