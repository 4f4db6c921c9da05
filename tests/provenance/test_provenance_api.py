"""POST /v1/provenance and POST /v1/stamp through the real app (in-process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from provenance_factories import Credentials, encode, make_credentials, photo_like, png_with_text

from amparo.api import create_app
from amparo.api._provenance import router
from amparo.config import Settings
from amparo.runtime import Amparo

PIXELS = photo_like(320, 256, seed=31)
PROMPT = "a lighthouse on a cliff at dusk"


@pytest.fixture(scope="module")
def creds() -> Credentials:
    return make_credentials(key_type="ed25519")


@pytest.fixture
def settings(tmp_path: Path, database_url: str, creds: Credentials) -> Settings:
    """The shared settings plus a provider certificate for stamping and its CA as anchor."""
    (tmp_path / "chain.pem").write_bytes(creds.chain_pem)
    (tmp_path / "key.pem").write_bytes(creds.key_pem)
    (tmp_path / "root.pem").write_bytes(creds.root_pem)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        provenance_signing_cert=tmp_path / "chain.pem",
        provenance_signing_key=tmp_path / "key.pem",
        provenance_trust_anchors=[tmp_path / "root.pem"],
    )


@pytest.fixture
def client(settings: Settings, amparo: Amparo) -> Iterator[TestClient]:
    app = create_app(settings, amparo=amparo)
    if not any(getattr(route, "path", "") == "/v1/provenance" for route in app.routes):
        app.include_router(router)  # until the app mounts the provenance router itself
    with TestClient(app) as test_client:
        yield test_client


def test_provenance_route_reads_and_hides_prompts(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    data = png_with_text(PIXELS, {"parameters": f"{PROMPT}\nSteps: 20, Model: v1-5"})
    response = client.post(
        "/v1/provenance", files={"file": ("a.png", data, "image/png")}, headers=headers("scanner")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "likely_ai" and body["input"] == "a.png"
    assert PROMPT not in response.text


def test_provenance_route_needs_a_key(client: TestClient) -> None:
    response = client.post("/v1/provenance", files={"file": ("a.png", b"x", "image/png")})
    assert response.status_code == 401


def test_stamp_route_round_trip(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/v1/stamp",
        files={"file": ("out.png", encode(PIXELS, "PNG"), "image/png")},
        data={"generator": "ExampleGen", "watermark": "true"},
        headers=headers("admin"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    check = client.post(
        "/v1/provenance",
        files={"file": ("out.png", response.content, "image/png")},
        headers=headers("scanner"),
    )
    body = check.json()
    assert body["verdict"] == "declared_ai"
    assert {e.get("validation") for e in body["evidence"] if e["type"] == "c2pa"} == {"valid"}


def test_stamp_route_is_admin_only(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/v1/stamp",
        files={"file": ("out.png", encode(PIXELS, "PNG"), "image/png")},
        data={"generator": "ExampleGen"},
        headers=headers("scanner"),
    )
    assert response.status_code == 403


def test_stamp_route_input_errors(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/v1/stamp",
        files={"file": ("x.gif", encode(PIXELS, "GIF"), "image/gif")},
        data={"generator": "ExampleGen"},
        headers=headers("admin"),
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_format"
