"""HMA's /m routes and /c/signal_type/index: lookups, raw lookups, compare, index status."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from amparo.signals import pdq_distance

Headers = dict[str, str]
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
NEAR = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22"  # distance 2


def _flip_bits(hex_hash: str, n: int) -> str:
    value = int(hex_hash, 16) ^ ((1 << n) - 1)
    return f"{value:064x}"


def _bank(hma: TestClient, h: Headers, name: str, ratio: float = 1.0) -> None:
    r = hma.post("/c/banks", json={"name": name, "enabled_ratio": ratio}, headers=h)
    assert r.status_code == 201


def _add(hma: TestClient, h: Headers, bank: str, **signals: str) -> int:
    r = hma.post(f"/c/bank/{bank}/signal", json=signals, headers=h)
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def test_lookup_by_bank_with_string_distance(
    hma: TestClient, curator: Headers, scanner: Headers
) -> None:
    _bank(hma, curator, "A")
    _bank(hma, curator, "B")
    a = _add(hma, curator, "A", pdq=PDQ)
    b = _add(hma, curator, "B", pdq=NEAR)
    r = hma.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}, headers=scanner)
    assert r.status_code == 200
    assert r.json() == {
        "A": [{"bank_content_id": a, "distance": "0"}],
        "B": [{"bank_content_id": b, "distance": str(pdq_distance(PDQ, NEAR))}],
    }
    r = hma.get(
        "/m/lookup", params={"signal_type": "pdq", "signal": PDQ, "banks": "B"}, headers=scanner
    )
    assert list(r.json()) == ["B"]
    r = hma.get(
        "/m/lookup", params={"signal_type": "pdq", "signal": PDQ, "banks": "NONE"}, headers=scanner
    )
    assert r.json() == {}


def test_threshold_is_31(hma: TestClient, curator: Headers, scanner: Headers) -> None:
    _bank(hma, curator, "A")
    _add(hma, curator, "A", pdq=PDQ)
    at = _flip_bits(PDQ, 31)
    over = _flip_bits(PDQ, 32)
    assert pdq_distance(PDQ, at) == 31 and pdq_distance(PDQ, over) == 32
    found = hma.get("/m/lookup", params={"signal_type": "pdq", "signal": at}, headers=scanner)
    assert found.json()["A"][0]["distance"] == "31"
    missed = hma.get("/m/lookup", params={"signal_type": "pdq", "signal": over}, headers=scanner)
    assert missed.json() == {}


def test_disabled_content_and_raw_lookup(
    hma: TestClient, curator: Headers, scanner: Headers
) -> None:
    _bank(hma, curator, "A")
    item = _add(hma, curator, "A", pdq=PDQ)
    hma.put(f"/c/bank/A/content/{item}", json={"disable_until_ts": 0}, headers=curator)
    q = {"signal_type": "pdq", "signal": PDQ}
    assert hma.get("/m/lookup", params=q, headers=scanner).json() == {}
    later = int(time.time()) + 3600
    hma.put(f"/c/bank/A/content/{item}", json={"disable_until_ts": later}, headers=curator)
    assert hma.get("/m/lookup", params=q, headers=scanner).json() == {}
    past = int(time.time()) - 10
    hma.put(f"/c/bank/A/content/{item}", json={"disable_until_ts": past}, headers=curator)
    assert list(hma.get("/m/lookup", params=q, headers=scanner).json()) == ["A"]
    hma.put(f"/c/bank/A/content/{item}", json={"disable_until_ts": 0}, headers=curator)
    hma.put("/c/bank/A", json={"enabled": False}, headers=curator)
    raw = hma.get("/m/raw_lookup", params=q, headers=scanner)
    assert raw.status_code == 200 and raw.json() == {"matches": [item]}
    raw = hma.get("/m/raw_lookup", params={**q, "include_distance": "true"}, headers=scanner)
    assert raw.json() == {"matches": [{"bank_content_id": item, "distance": "0"}]}
    raw = hma.get("/m/raw_lookup", params={**q, "banks": "OTHER"}, headers=scanner)
    assert raw.json() == {"matches": []}


def test_enabled_ratio_and_seed(hma: TestClient, curator: Headers, scanner: Headers) -> None:
    _bank(hma, curator, "NEVER", ratio=0.0)
    _bank(hma, curator, "HALF", ratio=0.5)
    _add(hma, curator, "NEVER", pdq=PDQ)
    _add(hma, curator, "HALF", pdq=PDQ)
    seen: dict[str, set[str]] = {}
    for seed in range(40):
        r = hma.get(
            "/m/lookup",
            params={"signal_type": "pdq", "signal": PDQ, "seed": str(seed)},
            headers=scanner,
        )
        again = hma.get(
            "/m/lookup",
            params={"signal_type": "pdq", "signal": PDQ, "seed": str(seed)},
            headers=scanner,
        )
        assert r.json() == again.json()  # the same seed draws the same coin
        assert "NEVER" not in r.json()
        seen.setdefault("HALF" if "HALF" in r.json() else "none", set()).add(str(seed))
    assert seen.keys() == {"HALF", "none"}  # about half of 40 seeds each way


def test_exact_types_have_no_distance(hma: TestClient, curator: Headers, scanner: Headers) -> None:
    _bank(hma, curator, "A")
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    item = _add(hma, curator, "A", video_md5=md5)
    r = hma.get("/m/lookup", params={"signal_type": "video_md5", "signal": md5}, headers=scanner)
    assert r.json() == {"A": [{"bank_content_id": item, "distance": "-"}]}


LOOKUP_ERRORS: list[tuple[dict[str, str], str]] = [
    ({"signal_type": "pdq"}, "Either url or both signal and signal_type are required"),
    ({"signal": PDQ}, "Either url or both signal and signal_type are required"),
    ({}, "Either url or both signal and signal_type are required"),
    ({"signal_type": "tlsh", "signal": "x"}, "No such SignalType 'tlsh'"),
    ({"signal_type": "pdq", "signal": "abc"}, "invalid signal: "),
    ({"signal_type": "pdq", "signal": PDQ.upper()}, "invalid signal: "),
]
RAW_ERRORS: list[tuple[dict[str, str], int, str]] = [
    ({"signal_type": "pdq"}, 422, ""),
    ({"signal": PDQ}, 422, ""),
    ({"signal_type": "pdq", "signal": PDQ, "include_distance": "maybe"}, 422, ""),
    ({"signal_type": "tlsh", "signal": PDQ}, 400, "No such SignalType 'tlsh'"),
    ({"signal_type": "pdq", "signal": "zz"}, 400, "invalid signal: "),
]


def test_lookup_errors(hma: TestClient, scanner: Headers) -> None:
    for params, message in LOOKUP_ERRORS:
        r = hma.get("/m/lookup", params=params, headers=scanner)
        assert r.status_code == 400 and r.json()["message"].startswith(message), params
    for params, status, message in RAW_ERRORS:
        r = hma.get("/m/raw_lookup", params=params, headers=scanner)
        assert r.status_code == status, params
        if status == 422:
            assert isinstance(r.json(), list)
        else:
            assert r.json()["message"].startswith(message)


def test_lookup_by_url_and_by_upload(
    hma: TestClient,
    curator: Headers,
    scanner: Headers,
    media_server: Callable[..., str],
    jpeg: Callable[..., bytes],
) -> None:
    _bank(hma, curator, "A")
    added = hma.post("/c/bank/A/content", files={"photo": ("a.jpg", jpeg(8))}, headers=curator)
    item = added.json()["id"]
    url = media_server("/img", jpeg(8), "application/octet-stream")
    r = hma.get("/m/lookup", params={"url": url}, headers=scanner)
    assert r.status_code == 200
    assert r.json() == {"pdq": {"A": [{"bank_content_id": item, "distance": "0"}]}}
    r = hma.get("/m/lookup", params={"url": url, "signal_type": "pdq"}, headers=scanner)
    assert r.json() == {"A": [{"bank_content_id": item, "distance": "0"}]}
    r = hma.post("/m/lookup", files={"photo": ("b.jpg", jpeg(8))}, headers=scanner)
    assert r.status_code == 200 and r.json()["pdq"]["A"][0]["bank_content_id"] == item
    hma.put("/c/bank/A", json={"enabled": False}, headers=curator)
    r = hma.post("/m/lookup", files={"photo": ("b.jpg", jpeg(8))}, headers=scanner)
    assert r.json() == {"pdq": {}}
    r = hma.post(
        "/m/lookup?bypass_coinflip=true", files={"photo": ("b.jpg", jpeg(8))}, headers=scanner
    )
    assert list(r.json()["pdq"]) == ["A"]


def test_compare(hma: TestClient, scanner: Headers) -> None:
    far = _flip_bits(PDQ, 40)
    r = hma.post("/m/compare", json={"pdq": [PDQ, NEAR]}, headers=scanner)
    assert r.status_code == 200
    assert r.json() == {"pdq": [True, {"distance": pdq_distance(PDQ, NEAR)}]}
    r = hma.post("/m/compare", json={"pdq": [PDQ, far]}, headers=scanner)
    assert r.json() == {"pdq": [False, {"distance": 40}]}
    assert hma.post("/m/compare", json={}, headers=scanner).json() == {}
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    r = hma.post("/m/compare", json={"video_md5": [md5, md5.upper()]}, headers=scanner)
    assert r.json() == {"video_md5": [True, {}]}


COMPARE_ERRORS: list[tuple[object, str]] = [
    ([PDQ, PDQ], "Request input was not a dict"),
    ({"pdq": PDQ}, "Comparison hashes for pdq was not a list"),
    ({"pdq": [PDQ]}, "Comparison hash list length must be exactly 2"),
    ({"pdq": [PDQ, PDQ, PDQ]}, "Comparison hash list length must be exactly 2"),
    ({"tlsh": ["a", "b"]}, "No such SignalType 'tlsh'"),
    ({"pdq": [PDQ, "abc"]}, "Invalid pdq hash: "),
    ({"pdq": [PDQ, 7]}, "Invalid pdq hash: "),
]


def test_compare_errors(hma: TestClient, scanner: Headers) -> None:
    for body, message in COMPARE_ERRORS:
        r = hma.post("/m/compare", json=body, headers=scanner)
        assert r.status_code == 400 and r.json()["message"].startswith(message), body
    r = hma.post("/m/compare", content=b"pdq=1", headers=scanner)
    assert r.status_code == 415


def test_index_status(hma: TestClient, curator: Headers, scanner: Headers) -> None:
    _bank(hma, curator, "A")
    _add(hma, curator, "A", pdq=PDQ)
    _add(hma, curator, "A", pdq=NEAR)
    hma.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}, headers=scanner)
    r = hma.get("/m/index/status", headers=scanner)
    assert r.status_code == 200
    pdq = r.json()["pdq"]
    assert pdq["present"] is True and pdq["size"] == 2
    assert isinstance(pdq["built_to"], int) and abs(pdq["built_to"] - time.time()) < 3600
    assert set(r.json()) >= {"pdq", "video_md5"}
    only = hma.get("/m/index/status", params={"signal_type": "pdq"}, headers=scanner)
    assert list(only.json()) == ["pdq"]
    bad = hma.get("/m/index/status", params={"signal_type": "tlsh"}, headers=scanner)
    assert bad.status_code == 400 and bad.json()["message"] == "No such signal type 'tlsh'"


def test_signal_type_index(hma: TestClient, curator: Headers, scanner: Headers) -> None:
    _bank(hma, curator, "A")
    _add(hma, curator, "A", pdq=PDQ, video_md5="d41d8cd98f00b204e9800998ecf8427e")
    hma.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}, headers=scanner)
    r = hma.get("/c/signal_type/index", headers=curator)
    assert r.status_code == 200
    pdq = r.json()["pdq"]
    assert set(pdq) == {
        "db_size",
        "index_size",
        "index_out_of_date",
        "newest_db_item",
        "index_built_to",
    }
    assert pdq["db_size"] == pdq["index_size"] == 1 and pdq["index_out_of_date"] is False
    assert r.json()["video_md5"]["db_size"] == 1
    one = hma.get("/c/signal_type/index", params={"signal_type": "video_md5"}, headers=curator)
    assert list(one.json()) == ["video_md5"]
    bad = hma.get("/c/signal_type/index", params={"signal_type": "x"}, headers=curator)
    assert bad.status_code == 400


def test_matching_needs_scanner(hma: TestClient, headers: Callable[[str], Headers]) -> None:
    q = {"signal_type": "pdq", "signal": PDQ}
    assert hma.get("/m/lookup", params=q).status_code == 401
    for role in ("curator", "reviewer", "auditor"):
        assert hma.get("/m/lookup", params=q, headers=headers(role)).status_code == 403
        assert hma.get("/m/index/status", headers=headers(role)).status_code == 403


def test_the_lookup_shortcut_answers_as_the_declared_route(
    hma: TestClient, curator: Headers, scanner: Headers, headers: Callable[[str], Headers]
) -> None:
    """GET /m/lookup's common form is answered by hand (api/hma/_common.shortcut); any other
    form by the declared route. Both give the same bytes, status and refusals."""
    _bank(hma, curator, "A")
    _bank(hma, curator, "B")
    _add(hma, curator, "A", pdq=PDQ)
    _add(hma, curator, "B", pdq=NEAR, md5="0" * 32)
    forms: list[dict[str, str]] = [
        {"signal_type": "pdq", "signal": PDQ},
        {"signal_type": "pdq", "signal": PDQ, "banks": "B"},
        {"signal_type": "pdq", "signal": PDQ, "banks": "A,NONE", "seed": "7"},
        {"signal_type": "md5", "signal": "0" * 32},
        {"signal_type": "pdq", "signal": "nothex"},
        {"signal_type": "nope", "signal": PDQ},
        {"signal_type": "pdq", "signal": ""},
    ]
    for form in forms:
        fast = hma.get("/m/lookup", params=form, headers=scanner)
        # bypass_coinflip is ignored by GET /m/lookup, as in HMA: it only routes the
        # request past the shortcut.
        declared = hma.get(
            "/m/lookup", params={**form, "bypass_coinflip": "false"}, headers=scanner
        )
        assert (fast.status_code, fast.content) == (declared.status_code, declared.content), form
    for role in ("curator", "auditor"):
        refused = hma.get("/m/lookup", params=forms[0], headers=headers(role))
        assert refused.status_code == 403
        declared = hma.get(
            "/m/lookup", params={**forms[0], "bypass_coinflip": "0"}, headers=headers(role)
        )
        assert refused.json() == declared.json()
