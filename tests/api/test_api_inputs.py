"""Bad input gets a clear 4xx where it comes in, on SQLite and PostgreSQL alike: NUL
characters and lone surrogates in any text, integers past 64 bits in paths, queries and
bodies, CSV fields past the csv module's limit, JSON nested past Python's recursion."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo import inputs

Headers = Callable[[str], dict[str, str]]
BANK = "INPUT_BANK"
MD5 = "0123456789abcdef0123456789abcdef"
BIG = str(2**64)


@pytest.fixture
def admin(client: TestClient, headers: Headers) -> dict[str, str]:
    key = headers("admin")
    assert client.post("/v1/banks", json={"name": BANK}, headers=key).status_code == 201
    r = client.post(f"/v1/banks/{BANK}/entries", json={"signals": {"md5": MD5}}, headers=key)
    assert r.status_code == 201 and r.json()["id"] == 1
    return key


def _raw_json(
    client: TestClient, method: str, url: str, text: str, key: dict[str, str]
) -> httpx.Response:
    """Send JSON text as written (escapes like \\ud800 and \\u0000 reach the server)."""
    return client.request(
        method, url, content=text.encode(), headers={**key, "content-type": "application/json"}
    )


def _refused(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == "invalid_input" and body["hint"], body
    for word in words:
        assert word in body["message"], body


def _j(value: object) -> str:
    """JSON text of ``value``: NUL and lone surrogates travel as \\u0000 and \\ud800 escapes."""
    return json.dumps(value)


@pytest.mark.parametrize(
    ("method", "url", "text", "where"),
    [
        ("POST", "/v1/banks", _j({"name": "B2", "description": "a\x00b"}), "body.description"),
        (
            "POST",
            f"/v1/banks/{BANK}/entries",
            _j({"signals": {"md5": "1" * 32}, "note": "\x00"}),
            "body.note",
        ),
        ("PATCH", f"/v1/banks/{BANK}/entries/1", _j({"note": "x\x00"}), "body.note"),
        ("POST", f"/c/bank/{BANK}/signal", _j({"md5": "2" * 32, "note": "\x00"}), "body.note"),
        (
            "POST",
            "/v1/exchanges",
            _j({"name": "x", "api": "sample", "bank": BANK, "config": {"k\x00": 1}}),
            "key of body.config",
        ),
    ],
)
def test_a_nul_in_any_stored_text_is_400(
    client: TestClient, admin: dict[str, str], method: str, url: str, text: str, where: str
) -> None:
    _refused(_raw_json(client, method, url, text, admin), 400, where, "NUL character")


PDQ = "a" * 64


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"/m/lookup?signal_type=pdq&signal={PDQ}&signal={'b' * 64}", "signal"),
        (f"/m/lookup?signal_type=pdq&signal_type=md5&signal={PDQ}", "signal_type"),
        (f"/m/raw_lookup?signal_type=pdq&signal={PDQ}&banks=A&banks={BANK}", "banks"),
        (f"/v1/banks/{BANK}/entries?limit=1&limit=1000", "limit"),
        ("/v1/scans?matched=true&source=hash&matched=false", "matched"),
    ],
)
def test_a_query_parameter_given_twice_is_400(
    client: TestClient, admin: dict[str, str], url: str, name: str
) -> None:
    # Which of the two a route would read is not the client's guess to make (HMA reads the
    # first, FastAPI the last, a proxy in front may have checked either): refused, named.
    _refused(client.get(url, headers=admin), 400, repr(name), "more than once")


def test_a_query_parameter_given_once_each_passes(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.get(f"/m/lookup?signal_type=pdq&signal={PDQ}&banks={BANK},OTHER", headers=admin)
    assert r.status_code == 200 and r.json() == {}, r.text


@pytest.mark.parametrize(
    ("method", "url", "text"),
    [
        (
            "POST",
            "/v1/match",
            '{"hashes": [{"signal_type": "pdq", "value": "' + PDQ + '"}], "hashes": []}',
        ),
        ("POST", f"/c/bank/{BANK}/signal", '{"md5": "' + "2" * 32 + '", "md5": "' + MD5 + '"}'),
        ("PATCH", f"/v1/banks/{BANK}/entries/1", '{"note": "a", "enabled": true, "note": "b"}'),
    ],
)
def test_a_json_body_giving_a_name_twice_is_400(
    client: TestClient, admin: dict[str, str], method: str, url: str, text: str
) -> None:
    # Which one a reader keeps is not defined: the standard library keeps the last, a proxy
    # or a log in front may have kept the first.
    _refused(_raw_json(client, method, url, text, admin), 400, "more than once in one object")


def test_a_query_string_passes_exactly_when_no_name_repeats(client: TestClient) -> None:
    """Property, on a route that ignores its query: refused (400, the name given) exactly
    when some name repeats, however the names are spelled, encoded and ordered."""

    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "é", "a b", "signal"]),
                st.text(max_size=3).filter(lambda v: inputs.text_problem(v) is None),
            ),
            max_size=5,
        )
    )
    def one(pairs: list[tuple[str, str]]) -> None:
        r = client.get("/status/live?" + urlencode(pairs))
        names = [n for n, _ in pairs]
        if len(set(names)) == len(names):
            assert r.status_code == 200, r.text
        else:
            _refused(r, 400, "more than once")
            assert any(repr(n) in r.json()["message"] for n in names if names.count(n) > 1)

    one()


@pytest.mark.parametrize(
    ("method", "url", "text"),
    [
        ("POST", f"/v1/banks/{BANK}/entries", _j({"signals": {"md5": "3" * 32}, "note": "\ud800"})),
        ("PATCH", f"/v1/banks/{BANK}/entries/1", _j({"note": "a\udfffb"})),
        ("PUT", f"/c/bank/{BANK}/content/1", _j({"note": "\udc00"})),
    ],
)
def test_a_lone_surrogate_in_a_note_is_400(
    client: TestClient, admin: dict[str, str], method: str, url: str, text: str
) -> None:
    _refused(_raw_json(client, method, url, text, admin), 400, "body.note", "lone surrogate")


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/banks/{BANK}/entries/{BIG}",
        f"/v1/banks/{BANK}/entries/-{BIG}",
        f"/v1/ledger/records/{BIG}",
        f"/v1/ledger/leaves/{BIG}",
        f"/v1/ledger/proofs/{BIG}",
        f"/v1/banks/{BANK}/entries?after_id={BIG}",
        f"/v1/banks/{BANK}/entries?limit={BIG}",
    ],
)
def test_integers_past_64_bits_in_paths_and_queries_are_422(
    client: TestClient, admin: dict[str, str], url: str
) -> None:
    _refused(client.get(url, headers=admin), 422, "the request is not valid")


def test_an_hma_content_id_past_64_bits_is_not_found(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.get(f"/c/bank/{BANK}/content/{BIG}", headers=admin)
    assert r.status_code == 404 and "not found" in r.json()["message"]


@pytest.mark.parametrize(
    ("method", "url", "text"),
    [
        ("PATCH", f"/v1/banks/{BANK}/entries/1", _j({"disable_until_ts": 2**64})),
        ("PUT", f"/c/bank/{BANK}/content/1", _j({"disable_until_ts": -(2**64)})),
        ("POST", "/v1/match", _j({"hashes": [{"signal_type": "md5", "value": MD5}], "x": 2**64})),
    ],
)
def test_integers_past_64_bits_in_bodies_are_400(
    client: TestClient, admin: dict[str, str], method: str, url: str, text: str
) -> None:
    _refused(_raw_json(client, method, url, text, admin), 400, "outside the 64-bit range")


@pytest.mark.parametrize(
    ("url", "word"),
    [
        ("/v1/banks/A%00B", "the path contains a NUL"),
        (f"/v1/banks/{BANK}%ED%A0%80", "the path is not UTF-8"),
        ("/m/lookup?signal_type=md5&signal=%00", "parameter 'signal' contains a NUL"),
        (f"/v1/banks/{BANK}/entries?after_id=%FF", "the query string is not UTF-8"),
    ],
)
def test_urls_are_checked_too(
    client: TestClient, admin: dict[str, str], url: str, word: str
) -> None:
    _refused(client.get(url, headers=admin), 400, word)


def test_json_nested_50000_deep_is_400(client: TestClient, admin: dict[str, str]) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    for url in ("/v1/banks", f"/c/bank/{BANK}/signal", "/m/compare"):
        _refused(_raw_json(client, "POST", url, deep, admin), 400, "nested more than 32")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_must_be_finite(client: TestClient, admin: dict[str, str], number: str) -> None:
    text = f'{{"name": "B3", "matching_enabled_ratio": {number}}}'
    _refused(_raw_json(client, "POST", "/v1/banks", text, admin), 400, "body")


def _multipart(fields: list[tuple[str, str | None, bytes]]) -> tuple[bytes, dict[str, str]]:
    """Built by hand: HTTP clients escape what these tests need to send as it is."""
    out = b""
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += b"--bnd\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n"
        out += data + b"\r\n"
    return out + b"--bnd--\r\n", {"content-type": "multipart/form-data; boundary=bnd"}


@pytest.mark.parametrize(
    ("url", "fields", "word"),
    [
        ("/v1/scan", [("file", "a\x00.jpg", b"x")], "the file name in field 'file' contains a NUL"),
        (
            f"/c/bank/{BANK}/content",
            [("photo", "a.jpg", b"x"), ("note", None, b"a\x00b")],
            "form field 'note' contains a NUL",
        ),
        (
            "/v1/stamp",
            [("file", "a.png", b"x"), ("generator", None, b"gen\x00")],
            "form field 'generator' contains a NUL",
        ),
        ("/v1/provenance", [("fi\x00le", "a.png", b"x")], "a form field name contains a NUL"),
    ],
)
def test_multipart_text_is_checked(
    client: TestClient,
    admin: dict[str, str],
    url: str,
    fields: list[tuple[str, str | None, bytes]],
    word: str,
) -> None:
    body, ctype = _multipart(fields)
    _refused(client.post(url, content=body, headers={**admin, **ctype}), 400, word)


def test_url_encoded_bodies_are_checked(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post("/v1/banks", data={"name": "X\x00Y"}, headers=admin)
    _refused(r, 400, "parameter 'name' contains a NUL")


def test_a_csv_field_over_the_csv_limit_is_a_bad_row(
    client: TestClient, admin: dict[str, str]
) -> None:
    csv = f"md5,note\n{'4' * 32},{'x' * 140_000}\n{'5' * 32},fine\n"
    r = client.post(
        f"/v1/banks/{BANK}/import", files={"file": ("a.csv", csv.encode())}, headers=admin
    )
    assert r.status_code == 400 and r.json()["error"] == "bad_rows", r.text
    assert r.json()["rows"] == [
        {"row": 2, "reason": "not readable as CSV: field larger than field limit (131072)"}
    ]
    r = client.post(
        f"/v1/banks/{BANK}/import?skip_bad_rows=true",
        files={"file": ("a.csv", csv.encode())},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["added"] == 1, r.text


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"md5,note\n" + b"8" * 32 + b",caf\xe9\n", 2),  # Latin-1, not UTF-8
        (b"\xef\xbb\xbfmd5\n" + b"8" * 32 + b"\n\xc3", 3),  # cut short at the end
    ],
)
def test_an_import_that_is_not_utf8_names_the_line(
    client: TestClient, admin: dict[str, str], data: bytes, line: int
) -> None:
    """Refused whole, like the command line, with the line to look at: decoded with
    replacement characters instead, 'caf\xe9' went into the bank as 'caf\ufffd'."""
    r = client.post(f"/v1/banks/{BANK}/import", files={"file": ("a.csv", data)}, headers=admin)
    _refused(r, 400, f"a.csv: line {line}: not UTF-8 text")
    r = client.get(f"/v1/banks/{BANK}/entries", headers=admin)
    assert r.status_code == 200
    assert all(e["signals"].get("md5") != "8" * 32 for e in r.json()["entries"])


def _row(**fields: object) -> str:
    return _j({"md5": "6" * 32, **fields})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (_row()[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested more than 32"),
        (_row(note="a\x00"), "row.note contains a NUL"),
        (_row(source_id="\ud800"), "row.source_id contains a lone surrogate"),
        (_row(pdq_quality=2**64), "outside the 64-bit range"),
        (_row(note=5), "note must be a string"),
        (_row(category=5), "category 5 is not a string"),
        (_row(tags=5), "tags must be a list or a string"),
        (_row(source_id="s" * 300), "source_id is longer than 255"),
    ],
)
def test_bad_json_lines_are_bad_rows(
    client: TestClient, admin: dict[str, str], line: str, reason: str
) -> None:
    r = client.post(
        f"/v1/banks/{BANK}/import",
        files={"file": ("a.jsonl", (line + "\n").encode())},
        headers=admin,
    )
    assert r.status_code == 400 and r.json()["error"] == "bad_rows", r.text
    assert reason in r.json()["rows"][0]["reason"]


def test_a_csv_with_a_nul_is_a_bad_row(client: TestClient, admin: dict[str, str]) -> None:
    csv = f"md5,note\n{'7' * 32},a\x00b\n"
    r = client.post(
        f"/v1/banks/{BANK}/import", files={"file": ("a.csv", csv.encode())}, headers=admin
    )
    assert r.status_code == 400
    assert r.json()["rows"][0]["reason"].startswith("column note contains a NUL")


def test_an_over_long_source_id_is_400(
    client: TestClient, admin: dict[str, str], jpeg: Callable[[int], bytes]
) -> None:
    r = client.post(
        f"/v1/banks/{BANK}/media",
        params={"source_id": "s" * 256},
        files={"file": ("a.jpg", jpeg(5))},
        headers=admin,
    )
    assert r.status_code == 400 and "source_id is longer than 255" in r.json()["message"]


def test_answers_are_json_of_the_one_shape(client: TestClient, admin: dict[str, str]) -> None:
    r = _raw_json(client, "POST", "/v1/banks", '{"name": "\\u0000"}', admin)
    assert r.headers["content-type"] == "application/json"
    assert set(json.loads(r.content)) == {"error", "message", "hint"}
