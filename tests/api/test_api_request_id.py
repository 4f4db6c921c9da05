"""Every request has an id: echoed or made up, in the response and in every log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from amparo.cli._logging import JsonFormatter, TextFormatter

Headers = Callable[[str], dict[str, str]]


def _records(caplog: pytest.LogCaptureFixture, rid: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "request_id", None) == rid]


def test_a_given_id_is_echoed_and_in_every_log_line_of_the_request(
    client: TestClient, headers: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    def noisy() -> dict[str, str]:
        logging.getLogger("amparo.test").warning("inside the request")
        return {"ok": "yes"}

    client.app.add_api_route("/v1/test-noisy", noisy, methods=["GET"])
    with caplog.at_level(logging.INFO):
        r = client.get(
            "/v1/test-noisy", headers={**headers("scanner"), "X-Request-ID": "trace-42.a:b"}
        )
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "trace-42.a:b"
    lines = {rec.getMessage() for rec in _records(caplog, "trace-42.a:b")}
    assert "inside the request" in lines
    assert any(line.startswith("GET /v1/test-noisy 200 ") for line in lines)
    inside = [rec for rec in caplog.records if rec.name == "amparo.test"]
    assert inside and all(getattr(rec, "request_id", None) == "trace-42.a:b" for rec in inside)


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 129, "new\nline"])
def test_a_missing_or_unsafe_id_is_replaced(client: TestClient, given: str | None) -> None:
    sent = {} if given is None else {"X-Request-ID": given}
    r = client.get("/healthz", headers=sent)
    made = r.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and made.isalnum()
    assert client.get("/healthz").headers["X-Request-ID"] != made


def test_refusals_by_the_key_gate_carry_an_id_and_are_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="amparo.api.requests"):
        r = client.get("/v1/banks?x=secret-url", headers={"X-Request-ID": "refused-1"})
    assert r.status_code == 401 and r.headers["X-Request-ID"] == "refused-1"
    (line,) = [rec.getMessage() for rec in _records(caplog, "refused-1")]
    assert line.startswith("GET /v1/banks 401 ") and "secret-url" not in line


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.makeLogRecord(
        {"name": "amparo.x", "levelname": "INFO", "msg": "hello %s", "args": ("you",)}
    )
    record.request_id = "abc"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello you" and line["request_id"] == "abc"
    assert line["level"] == "info" and line["logger"] == "amparo.x" and "time" in line
    assert "[abc]" in TextFormatter().format(record)
