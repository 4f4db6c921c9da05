"""Stored versions, ledgered activation, and the runtime following the active policy."""

from __future__ import annotations

import pytest
from policy_helpers import BLOCK_CHAT, ledger_records, photo
from sqlalchemy import update

from amparo import policies
from amparo.policy import ContentMeta, PolicyError, default_policy
from amparo.runtime import Amparo
from amparo.store import PolicyRow
from amparo.usecases import activate_policy, active_policy_view, scan_media


def test_the_built_in_policy_decides_until_one_is_activated(amparo: Amparo) -> None:
    assert amparo.policy == default_policy()
    view = active_policy_view(amparo)
    assert view["builtin"] and view["version"] is None and view["activated_at"] is None
    assert view["text"] == default_policy().text


def test_activation_stores_a_version_and_is_ledgered(amparo: Amparo) -> None:
    view = activate_policy(amparo, BLOCK_CHAT, actor="tester", source="p.toml")
    assert view["version"] == 1 and not view["builtin"] and view["activated_by"] == "tester"
    assert view["rules"] == 2 and view["name"] == "chat-first"
    (event,) = ledger_records(amparo, "policy.activate")
    assert event == {
        "policy_version": 1,
        "sha256": view["sha256"],
        "name": "chat-first",
        "rules": 2,
        "activated_by": "tester",
        "stored": True,
    }
    # This process decides by it at once.
    assert amparo.policy.version == 1 and amparo.policy.sha256 == view["sha256"]


def test_activating_the_active_text_again_changes_nothing(amparo: Amparo) -> None:
    activate_policy(amparo, BLOCK_CHAT, actor="a", source="p")
    again = activate_policy(amparo, BLOCK_CHAT, actor="b", source="p")
    assert again["version"] == 1 and again["activated_by"] == "a"
    assert len(ledger_records(amparo, "policy.activate")) == 1


def test_going_back_to_an_earlier_text_reuses_its_version(amparo: Amparo) -> None:
    activate_policy(amparo, BLOCK_CHAT, actor="a", source="p")
    activate_policy(amparo, default_policy().text, actor="a", source="p")
    back = activate_policy(amparo, BLOCK_CHAT, actor="a", source="p")
    assert back["version"] == 1
    events = ledger_records(amparo, "policy.activate")
    assert [(e["policy_version"], e["stored"]) for e in events] == [
        (1, True),
        (2, True),
        (1, False),
    ]


def test_an_invalid_policy_is_neither_stored_nor_activated(amparo: Amparo) -> None:
    with pytest.raises(PolicyError):
        activate_policy(amparo, "[[rules]]\nname = 'x'\nwhen.matched = 1\n", actor="a", source="p")
    with amparo.session() as s:
        assert policies.active_policy(s) is None and policies.newest_activation(s) is None
    assert ledger_records(amparo, "policy.activate") == []


def test_the_next_scan_is_decided_by_the_activated_policy(amparo: Amparo) -> None:
    before = scan_media(amparo, photo(), content=ContentMeta(surface="chat"))
    assert before.decision is not None and before.decision.rule == "default"
    assert before.decision.policy_version is None
    activate_policy(amparo, BLOCK_CHAT, actor="a", source="p")
    after = scan_media(amparo, photo(), content=ContentMeta(surface="chat"))
    assert after.decision is not None and after.decision.rule == "chat"
    assert after.decision.quarantined and after.decision.policy_version == 1


def test_another_replica_takes_the_activation_at_its_next_policy_round(amparo: Amparo) -> None:
    other = Amparo.open(amparo.settings)  # a second server on the same database
    other.start()
    try:
        assert other.policy.builtin
        activate_policy(amparo, BLOCK_CHAT, actor="a", source="p")
        assert other.worker("policy").run_now()
        assert other.policy.version == 1 and other.policy.name == "chat-first"
    finally:
        other.close()


def test_a_stored_policy_that_no_longer_parses_falls_back_to_the_built_in(
    amparo: Amparo,
) -> None:
    activate_policy(amparo, BLOCK_CHAT, actor="a", source="p")
    with amparo.session() as s:
        s.execute(update(PolicyRow).values(text="[[rules]]\nname = 'broken'\n"))
    other = Amparo.open(amparo.settings)
    try:
        assert other.policy == default_policy()  # fail closed: never "no policy"
    finally:
        other.close()
