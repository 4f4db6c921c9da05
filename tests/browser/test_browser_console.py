"""The review console in Chromium: login with TOTP, keyboard claiming, blur and reveal,
deciding, the exposure cap, role refusals, and that nothing is loaded from elsewhere.

Set ``AMPARO_UPDATE_SCREENSHOTS=1`` to rewrite the screenshots in ``docs/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amparo import review, web
from amparo.runtime import Runtime
from reviewfactory import PASSWORD, MemoryVault, ledger_kinds, make_user, queue_matched

DOCS = Path(__file__).resolve().parents[2] / "docs"
Console = Callable[..., Any]


def _shot(page: Any, name: str, tmp: Path) -> None:
    target = DOCS if os.environ.get("AMPARO_UPDATE_SCREENSHOTS") == "1" else tmp
    page.screenshot(path=str(target / name))


def test_login_claim_blur_reveal_decide_by_keyboard(
    console_of: Console, server: str, amparo: Runtime, vault: MemoryVault, tmp_path: Path
) -> None:
    first = queue_matched(amparo, vault, seed=1, priority=9)
    second = queue_matched(amparo, vault, seed=2, priority=3)
    queue_matched(amparo, vault, seed=3, priority=1, queue="ai_generated")
    page = console_of("ana")
    assert page.url == f"{server}/review/"
    rows = page.locator("#items tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).get_attribute("class") == "selected"
    _shot(page, "review-queue.png", tmp_path)
    page.keyboard.press("j")
    assert rows.nth(1).get_attribute("class") == "selected"
    page.keyboard.press("k")
    page.keyboard.press("c")  # claims the selected (most urgent) item
    page.wait_for_url(f"{server}/review/items/{first.item_id}")
    assert "yours until" in page.inner_text("#claim")
    preview = page.locator("#preview")
    assert preview.get_attribute("class") == "blurred"
    _shot(page, "review-item-blurred.png", tmp_path)
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#help")
    page.keyboard.press("r")
    page.wait_for_selector("#preview.revealed")
    page.keyboard.press("1")  # no category chosen yet: focuses the category instead
    assert page.evaluate("document.activeElement.id") == "category"
    page.select_option("#category", "B1")
    page.keyboard.press("1")
    page.wait_for_url(f"{server}/review/")
    with amparo.session() as s:
        decided = review.get_item(s, first.item_id)
    assert decided.decision == "confirmed" and decided.outcome
    assert decided.outcome["category"] == "B1"
    assert page.locator("#items tbody tr").count() == 2
    # The second item: claim it on its page, then false positive (disable entry) with '2'.
    page.goto(f"{server}/review/items/{second.item_id}")
    page.keyboard.press("c")
    page.wait_for_selector("#claim:has-text('yours until')")
    page.keyboard.press("2")
    page.wait_for_url(f"{server}/review/")
    kinds = ledger_kinds(amparo)
    assert kinds.count("review.claim") == 2 and kinds.count("review.decide") == 2
    assert "review.reveal" in kinds and "user.login" in kinds
    assert all(url.startswith(server) or url.startswith("data:") for url in page.requests_seen)


def test_wrong_totp_is_refused(chromium: Any, server: str, amparo: Runtime) -> None:
    make_user(amparo, "ana")
    page = chromium.new_page()
    page.goto(f"{server}/review/login")
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    page.fill("#code", "000000")
    page.click("#login")
    assert "one-time code is wrong" in page.inner_text("#error")
    assert page.context.cookies() == [] or all(
        c["name"] != "__Host-amparo_session" for c in page.context.cookies()
    )


def test_the_session_cookie_is_httponly_and_strict(console_of: Console) -> None:
    page = console_of("ana")
    cookie = next(c for c in page.context.cookies() if c["name"] == "__Host-amparo_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""


def test_two_reviewers_and_the_exposure_cap(
    console_of: Console, server: str, amparo: Runtime, vault: MemoryVault, console: web.Console
) -> None:
    q = queue_matched(amparo, vault)
    ana, ben = console_of("ana"), console_of("ben")
    ana.goto(f"{server}/review/items/{q.item_id}")
    ana.keyboard.press("c")
    ana.wait_for_selector("#claim:has-text('yours until')")
    ben.goto(f"{server}/review/items/{q.item_id}")
    ben.keyboard.press("c")
    ben.wait_for_selector("#error")
    assert "claimed by user:ana" in ben.inner_text("#error")
    assert ben.inner_text("#error-code") == "claimed"
    # No reveals left in ana's shift: the reveal is refused with the reason.
    console.exposure = review.ExposurePolicy(max_reveals=0, shift_hours=8)
    ana.goto(f"{server}/review/items/{q.item_id}")
    ana.keyboard.press("r")
    ana.wait_for_selector("#error")
    assert ana.inner_text("#error-code") == "exposure_cap"
    assert "review.reveal" not in ledger_kinds(amparo)


def test_role_refusal(
    console_of: Console, server: str, amparo: Runtime, vault: MemoryVault
) -> None:
    q = queue_matched(amparo, vault)
    audra = console_of("audra", "auditor")
    assert audra.inner_text("#error-code") == "forbidden"
    assert "only reviewers and admins see media" in audra.inner_text("#error")
    audra.goto(f"{server}/review/items/{q.item_id}")
    assert audra.inner_text("#error-code") == "forbidden"
    assert audra.locator("#preview").count() == 0
    assert not vault.reads
