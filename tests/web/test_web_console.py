"""The review console over HTTP: login (+TOTP, CSRF, cookies), the gate's session check,
claiming, blur and reveal, deciding, the exposure cap, breaks, role refusals. On SQLite and
PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from amparo import review
from amparo.runtime import Runtime
from reviewfactory import (
    PASSWORD,
    MemoryVault,
    animated_gif,
    csrf_of,
    ledger_kinds,
    make_user,
    queue_matched,
    totp,
)

Browser = Callable[..., TestClient]


def _image(html: str) -> Image.Image:
    import base64
    import re

    found = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert found, "the page shows no image"
    return Image.open(io.BytesIO(base64.b64decode(found.group(1))))


def _post(
    client: TestClient, path: str, data: dict[str, str] | None = None, *, page: str | None = None
) -> object:
    token = csrf_of(client.get(page or "/review/").text)
    return client.post(path, data={"csrf": token, **(data or {})}, follow_redirects=False)


# -- login ---------------------------------------------------------------------------------


def test_login_with_totp_sets_a_strict_session_cookie(
    console_app: TestClient, amparo: Runtime
) -> None:
    secret = make_user(amparo, "ana")
    page = console_app.get("/review/login")
    assert page.status_code == 200 and "One-time code" in page.text
    r = console_app.post(
        "/review/login",
        data={
            "csrf": csrf_of(page.text),
            "name": "ana",
            "password": PASSWORD,
            "code": totp(secret),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/review/"
    cookie = next(
        c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-amparo_session=")
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "secure" in lowered and "samesite=strict" in lowered
    assert "path=/" in lowered and "domain" not in lowered
    queue = console_app.get("/review/")
    assert queue.status_code == 200 and "Nothing to review" in queue.text
    assert "script-src 'self'" in queue.headers["content-security-policy"]
    assert queue.headers["cache-control"] == "no-store"


def test_wrong_totp_is_refused(console_app: TestClient, amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    wrong = f"{(int(totp(secret)) + 1) % 1_000_000:06d}"
    page = console_app.get("/review/login")
    r = console_app.post(
        "/review/login",
        data={"csrf": csrf_of(page.text), "name": "ana", "password": PASSWORD, "code": wrong},
        follow_redirects=False,
    )
    assert r.status_code == 401 and "one-time code is wrong" in r.text
    assert "__Host-amparo_session" not in r.headers.get("set-cookie", "")
    assert "user.login_failed" in ledger_kinds(amparo)


def test_login_without_or_with_a_wrong_csrf_token(console_app: TestClient, amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    console_app.get("/review/login")
    form = {"name": "ana", "password": PASSWORD, "code": totp(secret)}
    missing = console_app.post("/review/login", data=form, follow_redirects=False)
    assert missing.status_code == 403 and "no CSRF token" in missing.text
    wrong = console_app.post(
        "/review/login", data={**form, "csrf": "forged"}, follow_redirects=False
    )
    assert wrong.status_code == 403 and "CSRF token is wrong" in wrong.text


def test_without_a_session_the_console_redirects_to_login_unread(console_app: TestClient) -> None:
    r = console_app.get("/review/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review/login"
    forged = console_app.post(
        "/review/items/1/decide",
        content=b"x" * 5_000_000,  # over the body limit: refused for the session, unread
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "cookie": "__Host-amparo_session=nope",
        },
        follow_redirects=False,
    )
    assert forged.status_code == 303


def test_an_api_key_does_not_open_the_console(
    console_app: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    r = console_app.get("/review/", headers=headers("admin"), follow_redirects=False)
    assert r.status_code == 303


def test_the_session_cookie_does_not_open_the_api(browser_of: Browser) -> None:
    ana = browser_of("ana")
    assert ana.get("/v1/review/queues").status_code == 401


def test_logout_ends_the_session(browser_of: Browser) -> None:
    ana = browser_of("ana")
    r = _post(ana, "/review/logout")
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert ana.get("/review/", follow_redirects=False).status_code == 303


def test_static_files_are_served_by_amparo(console_app: TestClient) -> None:
    js = console_app.get("/review/static/console.js")
    css = console_app.get("/review/static/console.css")
    assert js.status_code == 200 and "keydown" in js.text
    assert css.status_code == 200


# -- claiming, blur and reveal, deciding ----------------------------------------------------


def test_item_page_shows_a_blurred_greyscale_preview(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault
) -> None:
    q = queue_matched(amparo, vault)
    ana = browser_of("ana")
    queue = ana.get("/review/")
    assert f"#{q.item_id}" in queue.text
    page = ana.get(f"/review/items/{q.item_id}")
    assert page.status_code == 200 and "rule-known_test" in page.text and "KNOWN_TEST" in page.text
    preview = _image(page.text)
    assert preview.mode == "L"
    assert 'class="blurred"' in page.text
    assert vault.reads[-1][2] == f"review item {q.item_id}: blurred preview"


def test_claim_reveal_decide(browser_of: Browser, amparo: Runtime, vault: MemoryVault) -> None:
    q = queue_matched(amparo, vault)
    ana = browser_of("ana")
    item = f"/review/items/{q.item_id}"
    assert _post(ana, f"{item}/claim", page=item).status_code == 303  # type: ignore[attr-defined]
    page = ana.get(item)
    assert "yours until" in page.text and 'id="reveal-form"' in page.text
    revealed = ana.post(f"{item}/reveal", data={"csrf": csrf_of(page.text)})
    assert revealed.status_code == 200 and 'class="revealed"' in revealed.text
    assert _image(revealed.text).mode == "RGB"
    assert vault.reads[-1][2] == f"review item {q.item_id}: reveal"
    decided = ana.post(
        f"{item}/decide",
        data={
            "csrf": csrf_of(page.text),
            "decision": "confirmed",
            "category": "A2",
            "generative_ai": "on",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303 and decided.headers["location"] == "/review/"
    with amparo.session() as s:
        done = review.get_item(s, q.item_id)
    assert done.decision == "confirmed" and done.outcome and done.outcome["generative_ai"] is True
    kinds = ledger_kinds(amparo)
    assert kinds.index("review.claim") < kinds.index("review.reveal") < kinds.index("review.decide")


def test_animated_media_shows_one_still_frame(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault
) -> None:
    q = queue_matched(amparo, vault, data=animated_gif())
    ana = browser_of("ana")
    item = f"/review/items/{q.item_id}"
    _post(ana, f"{item}/claim", page=item)
    revealed = ana.post(f"{item}/reveal", data={"csrf": csrf_of(ana.get(item).text)})
    image = _image(revealed.text)
    assert image.format == "PNG" and getattr(image, "n_frames", 1) == 1


def test_two_reviewers_claiming_one_item(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault
) -> None:
    q = queue_matched(amparo, vault)
    ana, ben = browser_of("ana"), browser_of("ben")
    item = f"/review/items/{q.item_id}"
    _post(ana, f"{item}/claim", page=item)
    r = _post(ben, f"{item}/claim", page=item)
    assert r.status_code == 409 and "claimed by user:ana" in r.text  # type: ignore[attr-defined]


def test_deciding_a_decided_item(browser_of: Browser, amparo: Runtime, vault: MemoryVault) -> None:
    q = queue_matched(amparo, vault)
    ana = browser_of("ana")
    item = f"/review/items/{q.item_id}"
    _post(ana, f"{item}/claim", page=item)
    token = csrf_of(ana.get(item).text)
    first = ana.post(
        f"{item}/decide", data={"csrf": token, "decision": "escalate"}, follow_redirects=False
    )
    assert first.status_code == 303
    again = ana.post(
        f"{item}/decide", data={"csrf": token, "decision": "escalate"}, follow_redirects=False
    )
    assert again.status_code == 409 and "already decided" in again.text


def test_confirming_without_a_category_is_a_clear_error(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault
) -> None:
    q = queue_matched(amparo, vault)
    ana = browser_of("ana")
    item = f"/review/items/{q.item_id}"
    _post(ana, f"{item}/claim", page=item)
    r = _post(ana, f"{item}/decide", {"decision": "confirmed"}, page=item)
    assert r.status_code == 400 and "choose the NCMEC category" in r.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("token", [None, "forged"])
def test_forms_without_the_right_csrf_token_are_refused(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault, token: str | None
) -> None:
    q = queue_matched(amparo, vault)
    ana = browser_of("ana")
    data = {} if token is None else {"csrf": token}
    for action in ("claim", "reveal", "decide"):
        r = ana.post(f"/review/items/{q.item_id}/{action}", data={**data, "decision": "escalate"})
        assert r.status_code == 403 and "CSRF" in r.text
    with amparo.session() as s:
        assert review.get_item(s, q.item_id).claimed_by is None


def test_reveal_by_a_non_reviewer_is_refused(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault
) -> None:
    q = queue_matched(amparo, vault)
    audra = browser_of("audra", "auditor")
    page = audra.get("/review/")
    assert page.status_code == 403 and "only reviewers and admins see media" in page.text
    token = csrf_of(page.text)  # the logout form on the error page carries it
    r = audra.post(f"/review/items/{q.item_id}/reveal", data={"csrf": token})
    assert r.status_code == 403 and "only reviewers and admins" in r.text
    assert audra.get(f"/review/items/{q.item_id}").status_code == 403
    assert not vault.reads and "review.reveal" not in ledger_kinds(amparo)


def test_reveal_needs_a_claim(browser_of: Browser, amparo: Runtime, vault: MemoryVault) -> None:
    q = queue_matched(amparo, vault)
    ana = browser_of("ana")
    r = _post(ana, f"/review/items/{q.item_id}/reveal")
    assert r.status_code == 409 and "not claimed by you" in r.text  # type: ignore[attr-defined]


def test_the_exposure_cap(browser_of: Browser, amparo: Runtime, vault: MemoryVault) -> None:
    first, second = queue_matched(amparo, vault, seed=1), queue_matched(amparo, vault, seed=2)
    # The console reads the cap when the app is built: rebuild the policy on the console.
    ana = browser_of("ana")
    console = ana.app.state.review_console  # type: ignore[attr-defined]
    console.exposure = review.ExposurePolicy(max_reveals=1, shift_hours=8)
    for q, status in ((first, 200), (second, 403)):
        item = f"/review/items/{q.item_id}"
        _post(ana, f"{item}/claim", page=item)
        r = ana.post(f"{item}/reveal", data={"csrf": csrf_of(ana.get(item).text)})
        assert r.status_code == status
    assert "revealed 1 items in this shift, the most allowed" in r.text
    assert ledger_kinds(amparo).count("review.reveal") == 1


def test_a_break_is_enforced_after_n_decisions(
    browser_of: Browser, amparo: Runtime, vault: MemoryVault
) -> None:
    from amparo import accounts

    items = [queue_matched(amparo, vault, seed=i) for i in range(2)]
    ana = browser_of("ana")
    ana.app.state.review_console.breaks = accounts.BreakPolicy(
        after_items=1, after_minutes=60, minutes=5
    )  # type: ignore[attr-defined]
    item = f"/review/items/{items[0].item_id}"
    _post(ana, f"{item}/claim", page=item)
    r = _post(ana, f"{item}/decide", {"decision": "escalate"}, page=item)
    assert r.headers["location"] == "/review/break"  # type: ignore[attr-defined]
    for path in ("/review/", f"/review/items/{items[1].item_id}"):
        assert ana.get(path, follow_redirects=False).headers["location"] == "/review/break"
    page = ana.get("/review/break")
    assert page.status_code == 200 and "Time for a break" in page.text
    blocked = ana.post(
        f"/review/items/{items[1].item_id}/claim",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert blocked.headers["location"] == "/review/break"
    with amparo.session() as s:
        assert review.get_item(s, items[1].item_id).claimed_by is None


def test_bad_item_ids_are_clear_errors(browser_of: Browser) -> None:
    ana = browser_of("ana")
    for path in ("/review/items/abc", "/review/items/99999", "/review/items/99999999999999999999"):
        r = ana.get(path)
        assert r.status_code == 404 and "no review item" in r.text
    assert ana.get("/review/nothing-here").status_code == 404


def test_repeated_failed_logins_lock_the_account(console_app: TestClient, amparo: Runtime) -> None:
    secret = make_user(amparo, "ana")
    statuses = []
    for _ in range(amparo.settings.review_max_failed_logins + 1):
        page = console_app.get("/review/login")
        r = console_app.post(
            "/review/login",
            data={
                "csrf": csrf_of(page.text),
                "name": "ana",
                "password": "not the password",
                "code": totp(secret),
            },
            follow_redirects=False,
        )
        statuses.append(r.status_code)
    assert statuses[0] == 401 and statuses[-1] == 429
    assert "locked after too many failed logins" in r.text
