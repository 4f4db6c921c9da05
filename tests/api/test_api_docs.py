"""The docs pages work offline: they load every asset from the server itself, without a key."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_the_docs_reference_only_local_urls(client: TestClient, page: str) -> None:
    r = client.get(page)  # no key
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?:|//[a-z]", r.text, re.IGNORECASE), "an outside URL"
    for found in REFERENCE.findall(r.text):
        url = next(u for u in found if u)
        assert url.startswith("/") and not url.startswith("//"), url


@pytest.mark.parametrize(
    ("page", "kinds"),
    [("/docs", {"javascript", "css", "png"}), ("/redoc", {"javascript", "png"})],
)
def test_the_assets_are_served_without_a_key(
    client: TestClient, page: str, kinds: set[str]
) -> None:
    urls = [next(u for u in found if u) for found in REFERENCE.findall(client.get(page).text)]
    served = set()
    for url in (u for u in urls if u != "/openapi.json"):
        r = client.get(url)  # no key
        assert r.status_code == 200 and len(r.content) > 1000, url
        served.add(r.headers["content-type"].split(";")[0].split("/")[-1])
    assert served == kinds


def test_the_swagger_ui_validator_is_off(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text
