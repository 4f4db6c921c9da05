"""GET/PUT /v1/policy, and the decision (with content metadata) in every /v1 scan answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from amparo.media import synthetic
from amparo.policy import default_policy

Headers = Callable[[str], dict[str, str]]

CHAT = """name = "chat"

[[rules]]
name = "chat uploads"
[rules.when]
surface = "chat"
country = ["DE", "FR"]
[rules.then]
quarantine = true
review = { queue = "chat", priority = 2 }

[[rules]]
name = "default"
[rules.then]
allow = true
"""
TOML = {"content-type": "application/toml"}


def _jpeg(seed: int = 1) -> bytes:
    return synthetic.encode(synthetic.make("photo_like", 320, 240, seed=seed), "JPEG")


def test_get_shows_the_built_in_policy_until_one_is_activated(
    client: TestClient, headers: Headers
) -> None:
    r = client.get("/v1/policy", headers=headers("auditor"))
    assert r.status_code == 200
    body = r.json()
    assert body["builtin"] is True and body["version"] is None and body["activated_at"] is None
    assert body["text"] == default_policy().text and body["rules"] == 3


def test_put_stores_activates_and_decides_the_next_scan(
    client: TestClient, headers: Headers
) -> None:
    r = client.put("/v1/policy", content=CHAT.encode(), headers={**headers("admin"), **TOML})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 1 and body["builtin"] is False and body["name"] == "chat"
    assert body["sha256"] == hashlib.sha256(CHAT.encode()).hexdigest()
    assert body["activated_by"].startswith("key ") and body["activated_at"]
    assert client.get("/v1/policy", headers=headers("auditor")).json() == body
    scan = client.post(
        "/v1/scan",
        files={"file": ("a.jpg", _jpeg())},
        data={"surface": "chat", "country": "de", "content_id": "post-1"},
        headers=headers("scanner"),
    )
    assert scan.status_code == 200, scan.text
    decision = scan.json()["decision"]
    assert decision["rule"] == "chat uploads" and decision["line"] == 3
    assert decision["policy"] == {"name": "chat", "version": 1, "sha256": body["sha256"]}
    assert {"kind": "quarantine", "params": {}} in decision["actions"]
    assert decision["blocked"] is False
    assert "surface is 'chat'" in decision["reason"] and "country is 'DE'" in decision["reason"]
    record = client.get(f"/v1/scans/{scan.json()['scan_id']}", headers=headers("auditor"))
    assert record.json()["decision"] == decision
    assert record.json()["content"] == {"content_id": "post-1", "surface": "chat", "country": "DE"}


@pytest.mark.parametrize("role", ["scanner", "curator", "auditor", "reviewer"])
def test_only_admins_may_put(client: TestClient, headers: Headers, role: str) -> None:
    r = client.put("/v1/policy", content=CHAT.encode(), headers={**headers(role), **TOML})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert client.get("/v1/policy", headers=headers("auditor")).json()["builtin"] is True


def test_get_needs_an_auditor(client: TestClient, headers: Headers) -> None:
    assert client.get("/v1/policy", headers=headers("scanner")).status_code == 403
    assert client.get("/v1/policy").status_code == 401


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[rules]]\nname = "a"\nwhen.matched = true\nthen.blok = true\n', 4, "unknown action"),
        ('[[rules]]\nname = "a"\nwhen.bnak = "X"\nthen.block = true\n', 3, "unknown condition"),
        ('[[rules]]\nname = "a"\nwhen.distance_max = -1\nthen.block = true\n', 3, "never fire"),
        ('[[rules]]\nname = "a"\nwhen.matched = true\nthen.block = true\n', 1, "no default rule"),
        ('[[rules]]\nname = "a"\nwhen.matched = "yes"\nthen.block = true\n', 3, "true or false"),
        ('[[rules]]\nname = "a"\nthen.allow = true\n[[rules]]\nname = "b"\nthen.block = true\n',
         4, "never fire"),
        ("[[rules\n", 1, "not valid TOML"),
        ('[[rules]]\nname = "a"\ncolour = "red"\nthen.allow = true\n', 3, "unknown field"),
    ],
)  # fmt: skip
def test_put_refuses_a_bad_policy_naming_the_line(
    client: TestClient, headers: Headers, text: str, line: int, words: str
) -> None:
    r = client.put("/v1/policy", content=text.encode(), headers={**headers("admin"), **TOML})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "invalid_policy" and body["hint"]
    assert any(e["line"] == line and words in e["message"] for e in body["errors"]), body
    assert f"line {line}: " in body["message"]
    assert client.get("/v1/policy", headers=headers("auditor")).json()["builtin"] is True


def test_put_refuses_bodies_that_are_not_a_policy_text(
    client: TestClient, headers: Headers
) -> None:
    admin = headers("admin")
    r = client.put("/v1/policy", content=b"\xff\xfe[[rules]]", headers={**admin, **TOML})
    assert r.status_code == 400 and "not UTF-8" in r.json()["message"]
    r = client.put("/v1/policy", files={"file": ("p.toml", CHAT.encode())}, headers=admin)
    assert r.status_code == 400 and "not as a form" in r.json()["message"]
    r = client.put("/v1/policy", content=b"", headers={**admin, **TOML})
    assert r.status_code == 400 and r.json()["error"] == "invalid_policy"
    r = client.put("/v1/policy", content=b"#" * 1_100_000, headers={**admin, **TOML})
    assert r.status_code == 400 and "limit of a policy" in r.json()["message"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"country": "Germany"}, "ISO 3166-1 alpha-2"),
        ({"surface": "Chat Room"}, "not a surface name"),
        ({"uploader_id": "x" * 256}, "1 to 255 printable characters"),
        ({"content_id": "a\tb"}, "1 to 255 printable characters"),
    ],
)
def test_bad_content_metadata_is_refused(
    client: TestClient, headers: Headers, fields: dict[str, str], words: str
) -> None:
    r = client.post(
        "/v1/scan", files={"file": ("a.jpg", _jpeg())}, data=fields, headers=headers("scanner")
    )
    assert r.status_code == 400 and words in r.json()["message"], r.text


def test_json_scans_take_metadata_beside_the_url(client: TestClient, headers: Headers) -> None:
    r = client.post(
        "/v1/scan",
        json={"url": "http://127.0.0.1:9/a.jpg", "country": "Narnia"},
        headers=headers("scanner"),
    )
    # Checked before anything is fetched.
    assert r.status_code == 400 and "ISO 3166-1" in r.json()["message"]
    r = client.post(
        "/v1/scan", json={"url": "http://127.0.0.1:9/a.jpg", "surface": 5},
        headers=headers("scanner"),
    )  # fmt: skip
    assert r.status_code == 400 and "surface must be text" in r.json()["message"]


def test_every_v1_scan_answer_carries_a_decision(client: TestClient, headers: Headers) -> None:
    scanner = headers("scanner")
    one = client.post("/v1/scan", files={"file": ("a.jpg", _jpeg(2))}, headers=scanner).json()
    assert one["decision"]["rule"] == "default" and one["decision"]["policy"]["version"] is None
    batch = client.post(
        "/v1/scan/batch",
        files=[("files", ("a.jpg", _jpeg(3))), ("files", ("b.jpg", _jpeg(4)))],
        headers=scanner,
    ).json()
    assert [r["decision"]["rule"] for r in batch["results"]] == ["default", "default"]
    matched = client.post(
        "/v1/match", json={"hashes": [{"signal_type": "md5", "value": "0" * 32}]}, headers=scanner
    ).json()
    assert matched["results"][0]["decision"]["rule"] == "default"


def test_the_openapi_description_documents_metadata_and_policy(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    scan = spec["paths"]["/v1/scan"]["post"]["requestBody"]["content"]
    for kind in ("multipart/form-data", "application/json"):
        assert {"content_id", "uploader_id", "surface", "country"} <= set(
            scan[kind]["schema"]["properties"]
        )
    assert {"get", "put"} <= set(spec["paths"]["/v1/policy"])
    assert "application/toml" in spec["paths"]["/v1/policy"]["put"]["requestBody"]["content"]
