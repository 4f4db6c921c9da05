from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_exchanges_support import pdq
from typer.testing import CliRunner

from amparo import banks
from amparo.cli._exchange import app
from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.store import ExchangeRow

Headers = Callable[[str], dict[str, str]]
SECRET = "hash-sharing-pass-987"


@pytest.fixture
def cli_env(settings: Settings, amparo: Amparo) -> dict[str, str]:
    with amparo.session() as s:
        banks.create_bank(s, "FEED")
    env = {"AMPARO_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["AMPARO_DATABASE_URL"] = settings.database_url
    return env


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def test_cli_file_exchange_add_fetch_status_delete(cli_env: dict[str, str], tmp_path: Path) -> None:
    hashes = tmp_path / "list.txt"
    hashes.write_text("".join(f"{pdq(i)}\n" for i in range(4)))
    code, out = _cli(
        cli_env,
        "add",
        "mylist",
        "--api",
        "file",
        "--bank",
        "FEED",
        "--path",
        str(hashes),
        "--set",
        "signal_type=pdq",
        "--tag",
        "partner",
    )
    assert code == 0, out
    code, out = _cli(cli_env, "fetch", "mylist")
    assert code == 0 and "4 added" in out, out
    code, out = _cli(cli_env, "status", "mylist", "--json")
    status = json.loads(out)
    assert status["status"]["entries"] == 4 and status["config"]["tags"] == ["partner"]
    code, out = _cli(cli_env, "list")
    assert code == 0 and "mylist" in out
    code, out = _cli(cli_env, "fetch", "nope")
    assert code == 2 and "no exchange named 'nope'" in out
    code, out = _cli(cli_env, "delete", "mylist", "--delete-entries", "--yes")
    assert code == 0 and "4 entries" in out


def test_cli_credentials_are_prompted_hidden_and_never_echoed(
    cli_env: dict[str, str], amparo: Amparo
) -> None:
    code, out = _cli(
        cli_env,
        "add",
        "ncmec",
        "--api",
        "ncmec",
        "--bank",
        "FEED",
        "--environment",
        "test_NGO_Generative_AI",
        stdin=f"someone:{SECRET}\n",
    )
    assert code == 0, out
    assert SECRET not in out and "credentials" in out
    with amparo.session() as s:
        raw = s.scalar(select(ExchangeRow.credentials).where(ExchangeRow.name == "ncmec"))
    assert raw and SECRET.encode() not in raw
    env = {**cli_env, "AMPARO_EXCHANGE_CREDENTIALS": f"other:{SECRET}"}
    code, out = _cli(env, "add", "ncmec2", "--api", "ncmec", "--bank", "FEED", "--environment", "x")
    assert code == 2 and "unknown NCMEC environment" in out and SECRET not in out
    code, out = _cli(cli_env, "status", "--json")
    assert SECRET not in out and '"has_credentials": true' in out
    # The variable is ignored for APIs without credentials, and used by update --credentials.
    code, out = _cli(env, "add", "sample", "--api", "sample", "--bank", "FEED")
    assert code == 0, out
    code, out = _cli(env, "update", "ncmec", "--credentials", "--disable")
    assert code == 0 and "disabled" in out and SECRET not in out
    box = amparo.credential_box()
    with amparo.session() as s:
        raw = s.scalar(select(ExchangeRow.credentials).where(ExchangeRow.name == "ncmec"))
    assert raw and box.decrypt(raw, exchange="ncmec") == {"user": "other", "password": SECRET}


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def test_http_exchange_lifecycle(api: TestClient, headers: Headers, amparo: Amparo) -> None:
    cur = headers("curator")
    assert api.post("/v1/banks", json={"name": "SAMPLE"}, headers=cur).status_code == 201
    r = api.post(
        "/v1/exchanges", json={"name": "sample", "api": "sample", "bank": "SAMPLE"}, headers=cur
    )
    assert r.status_code == 201, r.text
    listed = api.get("/v1/exchanges", headers=headers("auditor")).json()
    assert [e["name"] for e in listed] == ["sample"]
    started = api.post("/v1/exchanges/sample/fetch", headers=cur)
    assert started.status_code == 202 and started.json()["status"] == "started"
    one = api.get("/v1/exchanges/sample", headers=cur).json()
    assert one["status"]["entries"] > 0 and one["status"]["last_fetch_succeeded_at"]
    waited = api.post("/v1/exchanges/sample/fetch?wait=true", headers=cur)
    assert waited.status_code == 200 and waited.json()["unchanged"] == one["status"]["entries"]
    off = api.patch("/v1/exchanges/sample", json={"enabled": False}, headers=cur).json()
    assert off["enabled"] is False
    refused = api.post("/v1/exchanges/sample/fetch", headers=cur)
    assert refused.status_code == 400 and "disabled" in refused.json()["message"]
    assert api.delete("/v1/exchanges/sample", headers=cur).json()["deleted"] is True
    assert api.get("/v1/exchanges/sample", headers=cur).status_code == 404


def test_http_credentials_go_in_never_out(api: TestClient, headers: Headers) -> None:
    cur = headers("curator")
    api.post("/v1/banks", json={"name": "NCMEC"}, headers=cur)
    body = {
        "name": "ncmec",
        "api": "ncmec",
        "bank": "NCMEC",
        "config": {"environment": "NGO_Generative_AI"},
        "credentials": {"user": "someone", "password": SECRET},
    }
    r = api.post("/v1/exchanges", json=body, headers=cur)
    assert r.status_code == 201 and SECRET not in r.text and r.json()["has_credentials"]
    assert SECRET not in api.get("/v1/exchanges", headers=cur).text


def test_http_roles_and_local_files(api: TestClient, headers: Headers, tmp_path: Path) -> None:
    body = {"name": "s", "api": "sample", "bank": "B"}
    assert api.post("/v1/exchanges", json=body, headers=headers("scanner")).status_code == 403
    assert api.get("/v1/exchanges", headers=headers("scanner")).status_code == 403
    assert api.get("/v1/exchanges").status_code == 401
    f = tmp_path / "x.txt"
    f.write_text("")
    local = {"name": "f", "api": "local_file", "bank": "B", "config": {"path": str(f)}}
    r = api.post("/v1/exchanges", json=local, headers=headers("curator"))
    assert r.status_code == 403 and "amparo exchange add" in r.json()["hint"]
