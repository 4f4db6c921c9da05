"""Rules that keep every route, present and future, behind the edge checks (GUIDE rule 15).

The gate checks every URL and every body that is not multipart, whatever the route; these
tests hold the rest: multipart forms are checked by the route class, so every route must
have it, and integers a route declares itself must be bounded to 64 bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from amparo.api._gate import GuardedRoute
from amparo.inputs import INT64_MAX, INT64_MIN


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every route, including those of included routers (which FastAPI may keep nested)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_every_route_is_guarded(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    routes = list(_api_routes(app.routes))
    assert len(routes) > 40
    unguarded = [r.path for r in routes if not isinstance(r, GuardedRoute)]
    assert not unguarded, f"set route_class=GuardedRoute on their router: {unguarded}"


def _integer_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    options = schema.get("anyOf", [schema])
    return [s for s in options if s.get("type") == "integer"]


def test_every_integer_parameter_is_bounded_to_64_bits(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    unbounded = [
        f"{method.upper()} {path} {param['name']}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for param in operation.get("parameters", [])
        for schema in _integer_schemas(param.get("schema", {}))
        if not (
            schema.get("minimum", INT64_MIN - 1) >= INT64_MIN
            and schema.get("maximum", INT64_MAX + 1) <= INT64_MAX
        )
    ]
    assert not unbounded, f"give these ge=/le= within 64 bits: {unbounded}"
