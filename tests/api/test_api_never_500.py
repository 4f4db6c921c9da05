"""Property: no request makes the server fail (GUIDE rule 15: never a 500).

Requests are drawn from the app's own OpenAPI description: every operation, with path and
query parameters and bodies (JSON, multipart, URL-encoded) made from each one's schema and
mixed with hostile values — NUL characters, lone surrogates, non-UTF-8 escapes, integers far
past 64 bits, NaN, JSON nested deeper than Python's recursion, numbers past its digit
limit, file names with NULs — all sent with an admin key, on SQLite and on PostgreSQL. Each
answer must be a deliberate one: under 500 (or 501/502/503: not configured, a remote
failed, not ready), and outside the HMA routes in Amparo's one error shape.

Names are never resolved for real: URLs in requests point nowhere (see ``offline``).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.media import synthetic

Headers = Callable[[str], dict[str, str]]
Json = dict[str, Any]

HMA_PREFIXES = ("/h/", "/m/", "/c/")
DELIBERATE_5XX = {501, 502, 503}
BANK = "FUZZ_BANK"
JPEG = synthetic.encode(synthetic.make("photo_like", 96, 72, seed=3), "JPEG")

# -- values -----------------------------------------------------------------------------------

hostile_text = st.one_of(
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\ud800",
            "x\udfffy",
            "\ufeff",
            "",
            " ",
            "\U0001d518\u00e9\u4e2d",  # beyond the BMP, accented, CJK
            "x" * 300,
            "x" * 4_000,
            "../../etc/passwd",
            "%00",
            "%ff",
            "1e400",
            "NaN",
        ]
    ),
    st.text(alphabet=st.sampled_from("A_z09 é\x00\ud800\udc00-.:/,|;%"), max_size=20),
    st.text(max_size=12),
)
plausible_text = st.sampled_from(
    [
        BANK,
        "NEW_BANK",
        "pdq",
        "md5",
        "sha256",
        "video_md5",
        "photo",
        "video",
        "A1",
        "generative_ai",
        "0" * 32,
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "sample",
        "http://10.0.0.1/a.jpg",
        "http://[::127.0.0.1]/a.jpg",
        "https://media.example.invalid/a.jpg",
        "http://[64:ff9b::7f00:1]:8080/",
        "true",
        "1",
    ]
)
text = st.one_of(plausible_text, hostile_text)
integers = st.one_of(
    st.integers(-2, 12),
    st.integers(),
    st.sampled_from([2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**40]),
)
any_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | integers | st.floats() | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)


def from_schema(schema: Json, components: Json, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by an OpenAPI schema, any field possibly hostile instead."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return from_schema(components[name], components, depth)
    if depth > 4:
        return any_json
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([from_schema(s, components, depth + 1) for s in schema[key]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | text
    kind = schema.get("type")
    shaped: st.SearchStrategy[Any]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        shaped = st.fixed_dictionaries(
            {k: from_schema(v, components, depth + 1) for k, v in props.items() if k in required},
            optional={
                k: from_schema(v, components, depth + 1)
                for k, v in props.items()
                if k not in required
            },
        )
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            shaped = st.builds(
                lambda a, b: {**b, **a},
                shaped,
                st.dictionaries(text, from_schema(extra, components, depth + 1), max_size=3),
            )
    elif kind == "array":
        item = from_schema(schema.get("items", {}), components, depth + 1)
        shaped = st.lists(item, max_size=4)
    elif kind == "string":
        shaped = text
    elif kind == "integer":
        shaped = integers
    elif kind == "number":
        shaped = st.floats() | integers
    elif kind == "boolean":
        shaped = st.booleans()
    else:
        return any_json
    return st.one_of(shaped, shaped, shaped, any_json)


# -- requests ---------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _param(schema: Json) -> st.SearchStrategy[str]:
    kind = schema.get("type") or next(
        (s.get("type") for s in schema.get("anyOf", []) if s.get("type") != "null"), None
    )
    if kind == "integer":
        return integers.map(str) | text
    if kind == "boolean":
        return st.sampled_from(["true", "false", "1", "0"]) | text
    return text


def _multipart(fields: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body built by hand, so that names and file names may hold anything."""
    boundary = "fuzzboundary7e3"
    out = bytearray()
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode(
            "utf-8", "surrogatepass"
        )
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _form_fields(schema: Json) -> list[str]:
    names = list(schema.get("properties", {}))
    return names or ["file"]


@st.composite
def multipart_body(draw: st.DrawFn, schema: Json) -> tuple[bytes, str]:
    names = _form_fields(schema)
    fields: list[tuple[str, str | None, bytes]] = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(names) | text)
        if draw(st.booleans()):
            filename = draw(st.sampled_from(["a.jpg", "a.csv", "a.jsonl"]) | text)
            data = draw(
                st.sampled_from(
                    [JPEG, b"", b"md5,note\n" + b"0" * 32 + b",x\n", b'{"md5": "' + b"1" * 32]
                )
                | st.binary(max_size=64)
                | any_json.map(lambda v: json.dumps(v).encode())
            )
            fields.append((name, filename, data))
        else:
            fields.append((name, None, draw(text).encode("utf-8", "surrogatepass")))
    return _multipart(fields)


Operation = tuple[str, str, Json]


def _operations(spec: Json) -> list[Operation]:
    """(path, method, operation) for every operation of the OpenAPI description."""
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


@st.composite
def request_for(draw: st.DrawFn, spec: Json) -> tuple[str, str, bytes, dict[str, str]]:
    """(method, URL, body, headers) for one operation of the OpenAPI description."""
    components = spec.get("components", {}).get("schemas", {})
    path, method, operation = draw(st.sampled_from(_operations(spec)))
    url = path
    query: list[str] = []
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        if param["in"] == "path":
            value = draw(st.sampled_from([BANK, "1"]) | _param(schema))
            url = url.replace("{" + param["name"] + "}", _quote(value) or "x")
        elif param["in"] == "query" and draw(st.booleans()):
            query.append(f"{_quote(param['name'])}={_quote(draw(_param(schema)))}")
    if draw(st.integers(0, 9)) == 0:  # a parameter nobody declared, or bytes that are not UTF-8
        query.append(draw(st.sampled_from(["x=%ff", "%00=1", f"{_quote(draw(text))}=1"])))
    if query:
        url += "?" + "&".join(query)
    content = operation.get("requestBody", {}).get("content", {})
    kinds = [k for k in content if k in ("application/json", "multipart/form-data")]
    body, headers = b"", {}
    if kinds or draw(st.integers(0, 9)) == 0:
        kind = draw(st.sampled_from(kinds or ["application/json", "multipart/form-data"]))
        schema = content.get(kind, {}).get("schema", {})
        if kind == "multipart/form-data":
            body, ctype = draw(multipart_body(schema))
        else:
            shape = draw(st.integers(0, 9))
            if shape == 0:  # deeper than Python's recursion, or a number past its digit limit
                body = draw(st.sampled_from([b"[" * 5000 + b"]" * 5000, b"[" + b"9" * 5000 + b"]"]))
                ctype = kind
            elif shape == 1:
                body, ctype = draw(st.binary(max_size=40)), kind
            elif shape == 2:
                form = draw(st.dictionaries(text, text, max_size=3))
                body = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in form.items()).encode()
                ctype = "application/x-www-form-urlencoded"
            else:
                body, ctype = json.dumps(draw(from_schema(schema, components))).encode(), kind
        headers["content-type"] = ctype
    return method.upper(), url, body, headers


# -- the property -----------------------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Names never resolve (no request leaves this machine); IP literals still parse."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host).split("%")[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield


def _check(method: str, url: str, status: int, answer: bytes, content_type: str) -> None:
    where = f"{method} {url[:200]}"
    assert status < 500 or status in DELIBERATE_5XX, f"{where} answered {status}: {answer[:300]!r}"
    hma = url.startswith(HMA_PREFIXES)
    if status >= 400 and not hma and content_type.startswith("application/json"):
        body = json.loads(answer)
        assert isinstance(body, dict) and {"error", "message", "hint"} <= set(body), where
        assert set(body) <= {"error", "message", "hint", "errors", "rows", "status"}, where


@pytest.mark.usefixtures("offline")
def test_no_request_makes_the_server_fail(client: TestClient, headers: Headers) -> None:
    admin = headers("admin")
    spec = client.get("/openapi.json").json()
    assert len(_operations(spec)) > 40
    made = client.post("/v1/banks", json={"name": BANK}, headers=admin)
    assert made.status_code == 201
    entry = {"signals": {"md5": "0" * 32}, "note": "seed"}
    assert client.post(f"/v1/banks/{BANK}/entries", json=entry, headers=admin).status_code == 201

    @settings(
        max_examples=250,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request_for(spec))
    def one_request(request: tuple[str, str, bytes, dict[str, str]]) -> None:
        method, url, body, extra = request
        r = client.request(method, url, content=body, headers={**admin, **extra})
        _check(method, url, r.status_code, r.content, r.headers.get("content-type", ""))

    one_request()
