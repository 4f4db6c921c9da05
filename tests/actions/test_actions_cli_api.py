"""The command line and the HTTP routes of actions: endpoints (secrets shown once, stored
encrypted), the outbox list, retry, roles, and clear errors for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from _actions_helpers import Receiver, WallClock, ledger, queue
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from amparo import actions
from amparo.cli import app
from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.store import WebhookEndpointRow

Headers = Callable[[str], dict[str, str]]
Deliver = Callable[..., actions.Deliverer]


@pytest.fixture
def cli_env(settings: Settings, amparo: Amparo) -> dict[str, str]:
    env = {
        "AMPARO_DATA_DIR": str(settings.data_dir),
        "AMPARO_UNSAFE_WEBHOOK_HTTP": "1",
        "AMPARO_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    if settings.database_url:
        env["AMPARO_DATABASE_URL"] = settings.database_url
    return env


def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["actions", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _kill(amparo: Amparo, deliverer: Deliver, wall: WallClock, receiver: Receiver) -> str:
    """An action that has been dead-lettered against a failing receiver."""
    receiver.mode = "fail"
    [action_id] = queue(amparo)
    d = deliverer()
    for _ in range(4):
        d.round()
        wall.advance(61)
    receiver.mode = "ok"
    return action_id


def test_cli_endpoints_add_list_remove(
    cli_env: dict[str, str], amparo: Amparo, receiver: Receiver
) -> None:
    code, out, err = _cli(cli_env, "endpoints", "add", "hook", receiver.url)
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("whsec_") and "shown only once" in err
    with amparo.session() as s:
        stored = s.scalars(select(WebhookEndpointRow)).one()
        assert secret.encode() not in stored.secret  # encrypted at rest
    code, out, _ = _cli(cli_env, "endpoints", "list", "--json")
    listed = json.loads(out)
    assert listed["name"] == "hook" and "secret" not in listed
    code, out, err = _cli(cli_env, "endpoints", "add", "hook", receiver.url)
    assert code == 2 and "already exists" in err
    given = actions.new_secret()
    code, out, err = _cli(cli_env, "endpoints", "add", "other", receiver.url, "--secret", given)
    assert code == 0 and out == ""  # a given secret is not printed back
    code, out, _ = _cli(cli_env, "endpoints", "disable", "other")
    assert code == 0
    code, out, _ = _cli(cli_env, "endpoints", "remove", "other", "--yes")
    assert code == 0 and "removed webhook endpoint other" in out
    kinds = [k for k, _ in ledger(amparo, "webhook.")]
    assert kinds == [
        "webhook.endpoint.create",
        "webhook.endpoint.create",
        "webhook.endpoint.update",
        "webhook.endpoint.delete",
    ]
    created = ledger(amparo, "webhook.endpoint.create")[0][1]
    assert created["origin"] == receiver.url.rsplit("/", 1)[0] and created["by"].startswith("cli")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["endpoints", "add", "bad name", "https://x.example.org/"], "invalid webhook endpoint"),
        (["endpoints", "add", "a\x00b", "https://x.example.org/"], "NUL"),
        (["endpoints", "add", "hook", "ftp://x.example.org/"], "is not a webhook URL"),
        (["endpoints", "add", "hook", "not a url"], "is not a webhook URL"),
        (["endpoints", "add", "hook", "https://10.1.2.3/"], "private or loopback"),
        (["endpoints", "add", "hook", "https://x.example.org/", "--secret", "s3cret"], "whsec_"),
        (["endpoints", "add", "hook", "https://x.example.org/", "--secret", "whsec_AAAA"], "bytes"),
        (["endpoints", "remove", "nope", "--yes"], "no webhook endpoint named 'nope'"),
        (["list", "--status", "sent"], "unknown action status"),
        (["retry"], "name the actions"),
        (["retry", "msg_" + "0" * 32], "no action"),
        (["retry", "12"], "not an action id"),
        (["retry", "msg_" + "0" * 32, "--all-dead"], "not both"),
    ],
)
def test_cli_bad_input_is_a_clear_error(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    code, out, err = _cli(cli_env, *args)
    assert code == 2, (out, err)
    assert "error:" in err and message in err and "Traceback" not in err


def test_cli_refuses_plain_http_unless_allowed(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k != "AMPARO_UNSAFE_WEBHOOK_HTTP"}
    code, _, err = _cli(env, "endpoints", "add", "hook", "http://hooks.example.org/x")
    assert code == 2 and "AMPARO_UNSAFE_WEBHOOK_HTTP" in err


def test_cli_list_and_retry(
    cli_env: dict[str, str],
    amparo: Amparo,
    receiver: Receiver,
    wall: WallClock,
    deliverer: Deliver,
) -> None:
    assert _cli(cli_env, "endpoints", "add", "hook", receiver.url)[0] == 0
    action_id = _kill(amparo, deliverer, wall, receiver)
    code, out, _ = _cli(cli_env, "list", "--status", "dead", "--json")
    [dead] = [json.loads(line) for line in out.splitlines()]
    assert dead["id"] == action_id and dead["attempts"] == 4 and dead["last_error"] == "HTTP 500"
    code, out, _ = _cli(cli_env, "list")
    assert code == 0 and "dead" in out
    code, out, _ = _cli(cli_env, "retry", "--all-dead")
    assert code == 0 and action_id in out
    assert deliverer().round() == 1
    code, out, _ = _cli(cli_env, "list", "--status", "delivered", "--json")
    assert json.loads(out)["id"] == action_id
    [(_, retried)] = ledger(amparo, "action.retry")
    assert retried["by"].startswith("cli")


def test_api_endpoints_and_actions(
    client: TestClient,
    headers: Headers,
    amparo: Amparo,
    receiver: Receiver,
    wall: WallClock,
    deliverer: Deliver,
) -> None:
    admin = headers("admin")
    r = client.post(
        "/v1/actions/endpoints", json={"name": "hook", "url": receiver.url}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["secret"].startswith("whsec_")
    listed = client.get("/v1/actions/endpoints", headers=admin).json()
    assert [e["name"] for e in listed] == ["hook"] and "secret" not in listed[0]
    r = client.patch("/v1/actions/endpoints/hook", json={"enabled": False}, headers=admin)
    assert r.json()["enabled"] is False
    client.patch("/v1/actions/endpoints/hook", json={"enabled": True}, headers=admin)

    amparo.stop()  # the test drives the deliverer itself, on its own clock
    action_id = _kill(amparo, deliverer, wall, receiver)
    r = client.get("/v1/actions", params={"status": "dead"}, headers=headers("auditor"))
    assert r.status_code == 200 and [a["id"] for a in r.json()] == [action_id]
    r = client.post("/v1/actions/retry", json={"ids": [action_id]}, headers=admin)
    assert r.status_code == 200 and r.json() == {"retried": [action_id]}
    assert deliverer().round() == 1
    [(_, retried)] = ledger(amparo, "action.retry")
    assert retried["by"].startswith("key test-admin")
    r = client.post("/v1/actions/retry", json={"ids": [action_id]}, headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    r = client.delete("/v1/actions/endpoints/hook", headers=admin)
    assert r.json() == {"deleted": True, "dead_lettered": 0}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        (
            "post",
            "/v1/actions/endpoints",
            {"name": "x\x00", "url": "https://a.example.org"},
            400,
            "NUL",
        ),
        (
            "post",
            "/v1/actions/endpoints",
            {"name": "hook", "url": "https://a b"},
            400,
            "webhook URL",
        ),
        (
            "post",
            "/v1/actions/endpoints",
            {"name": "hook", "url": "https://[::1]/"},
            400,
            "loopback",
        ),
        ("delete", "/v1/actions/endpoints/nope", None, 404, "no webhook endpoint"),
        ("patch", "/v1/actions/endpoints/nope", {"enabled": True}, 404, "no webhook endpoint"),
        ("post", "/v1/actions/retry", {"ids": ["nope"]}, 400, "not an action id"),
        ("post", "/v1/actions/retry", {}, 400, "name the actions"),
        ("get", "/v1/actions?status=sent", None, 422, "status"),
    ],
)
def test_api_bad_input_is_a_clear_error(
    client: TestClient,
    headers: Headers,
    method: str,
    path: str,
    body: dict[str, object] | None,
    status: int,
    message: str,
) -> None:
    kwargs = {"json": body} if body is not None else {}
    r = client.request(method.upper(), path, headers=headers("admin"), **kwargs)
    assert r.status_code == status, r.text
    assert set(r.json()) >= {"error", "message", "hint"} and message in r.json()["message"]


def test_api_roles(client: TestClient, headers: Headers) -> None:
    for role in ("scanner", "curator", "reviewer"):
        assert client.get("/v1/actions", headers=headers(role)).status_code == 403
    for role in ("curator", "auditor"):
        r = client.post(
            "/v1/actions/endpoints",
            json={"name": "hook", "url": "https://a.example.org"},
            headers=headers(role),
        )
        assert r.status_code == 403
    assert client.get("/v1/actions").status_code == 401
