"""Review's domain: queueing, claims (and their races and expiry), decisions and what they do,
each ledgered; every bad input a clear error. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from amparo import banks, review
from amparo.auth import Principal
from amparo.errors import InputError, NotFoundError, PermissionDeniedError
from amparo.runtime import Runtime
from amparo.store import LedgerEntryRow, utcnow
from reviewfactory import BANK, ledger_kinds, queue_matched

ANA = Principal(1, "ana", "reviewer", kind="user")
BEN = Principal(2, "ben", "reviewer", kind="user")
AUDITOR = Principal(3, "audra", "auditor", kind="user")


def _claim(amparo: Runtime, item_id: int, who: Principal = ANA, **kw: object) -> review.ReviewItem:
    with amparo.session() as s:
        return review.claim_item(s, item_id, principal=who, claim_seconds=600, **kw)  # type: ignore[arg-type]


def _decide(
    amparo: Runtime, item_id: int, verdict: review.Verdict, who: Principal = ANA
) -> review.ReviewItem:
    with amparo.session() as s:
        return review.decide_item(s, item_id, verdict, principal=who)


def test_enqueue_lists_by_priority_and_is_ledgered(amparo: Runtime) -> None:
    low = queue_matched(amparo, seed=1, priority=1)
    high = queue_matched(amparo, seed=2, priority=9)
    other = queue_matched(amparo, seed=3, queue="ai_generated")
    with amparo.session() as s:
        ids = [i.id for i in review.list_items(s)]
        queues = {q.queue: q for q in review.list_queues(s)}
        only = [i.id for i in review.list_items(s, queue="ai_generated")]
    assert ids.index(high.item_id) < ids.index(low.item_id)
    assert queues["csam"].open == 2 and queues["ai_generated"].open == 1
    assert queues["csam"].next_due_at is not None
    assert only == [other.item_id]
    assert ledger_kinds(amparo).count("review.enqueue") == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [("queue", "Bad Queue"), ("priority", -1), ("sla_seconds", 0), ("rule", ""), ("queue", "")],
)
def test_enqueue_refuses_bad_input(amparo: Runtime, field: str, value: object) -> None:
    args: dict[str, object] = {
        "scan_id": "s",
        "queue": "q",
        "priority": 0,
        "sla_seconds": 60,
        "rule": "r",
        "evidence_id": None,
    }
    args[field] = value
    with amparo.session() as s, pytest.raises(InputError):
        review.enqueue_review(s, **args)  # type: ignore[arg-type]


def test_two_reviewers_claiming_one_item(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    held = _claim(amparo, q.item_id, ANA)
    assert held.claimed_by == "user:ana"
    with pytest.raises(review.ClaimConflictError) as caught:
        _claim(amparo, q.item_id, BEN)
    assert caught.value.status_code == 409 and "user:ana" in caught.value.message
    assert _claim(amparo, q.item_id, ANA).claimed_by == "user:ana"  # extending is fine
    assert ledger_kinds(amparo).count("review.claim") == 2


def test_an_expired_claim_can_be_taken(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    _claim(amparo, q.item_id, ANA)
    later = utcnow() + timedelta(seconds=601)
    assert _claim(amparo, q.item_id, BEN, now=later).claimed_by == "user:ben"


def test_claiming_needs_a_reviewer_and_an_item(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    with pytest.raises(PermissionDeniedError):
        _claim(amparo, q.item_id, AUDITOR)
    with pytest.raises(NotFoundError):
        _claim(amparo, 999_999)


def test_confirmed_records_category_and_generative_ai(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    _claim(amparo, q.item_id)
    item = _decide(
        amparo, q.item_id, review.Verdict("confirmed", category="B2", generative_ai=True)
    )
    assert item.status == "decided" and item.decision == "confirmed"
    assert item.outcome is not None and item.outcome["category"] == "B2"
    assert item.outcome["generative_ai"] is True
    with amparo.session() as s:
        row = s.scalars(select(LedgerEntryRow).where(LedgerEntryRow.kind == "review.decide")).one()
    assert row.kind == "review.decide"


def test_deciding_a_decided_item_is_a_clear_error(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    _claim(amparo, q.item_id)
    _decide(amparo, q.item_id, review.Verdict("confirmed", category="A1"))
    with pytest.raises(review.AlreadyDecidedError) as caught:
        _decide(amparo, q.item_id, review.Verdict("escalate"))
    assert caught.value.status_code == 409 and "already decided" in caught.value.message
    with pytest.raises(review.AlreadyDecidedError):
        _claim(amparo, q.item_id, BEN)


def test_deciding_needs_your_claim(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    with pytest.raises(review.ClaimConflictError, match="not claimed by you"):
        _decide(amparo, q.item_id, review.Verdict("escalate"))
    _claim(amparo, q.item_id, ANA)
    with pytest.raises(review.ClaimConflictError, match="claimed by user:ana"):
        _decide(amparo, q.item_id, review.Verdict("escalate"), BEN)


def test_false_positive_disables_the_matched_entry(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    _claim(amparo, q.item_id)
    item = _decide(amparo, q.item_id, review.Verdict("false_positive", action="disable_entry"))
    assert item.outcome is not None
    assert (item.outcome["bank"], item.outcome["entry_id"]) == (BANK, q.entry_id)
    assert "not from an exchange" in item.outcome["feedback"]
    with amparo.session() as s:
        assert not banks.get_entry(s, BANK, q.entry_id).enabled
    assert "entry.disable" in ledger_kinds(amparo)


def test_false_positive_of_an_exchange_entry_says_feedback_is_unsupported(amparo: Runtime) -> None:
    from amparo import exchanges

    with amparo.session() as s:
        banks.create_bank(s, "NCMEC_FEED")
        exchanges.create_exchange(
            s,
            "sample-feed",
            api="sample",
            bank="NCMEC_FEED",
        )
    q = queue_matched(amparo, source="sample-feed")
    _claim(amparo, q.item_id)
    item = _decide(amparo, q.item_id, review.Verdict("false_positive", action="disable_entry"))
    assert item.outcome is not None
    assert "sample API does not accept feedback" in item.outcome["feedback"]


def test_false_positive_to_the_allow_list(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    _claim(amparo, q.item_id)
    item = _decide(amparo, q.item_id, review.Verdict("false_positive", action="allow_list"))
    assert item.outcome is not None and item.outcome["bank"] == "LOCAL_ALLOW_LIST"
    with amparo.session() as s:
        entry = banks.get_entry(s, "LOCAL_ALLOW_LIST", item.outcome["entry_id"])
        assert entry.tags == ("allow_list",) and "md5" in entry.signals
        assert banks.get_entry(s, BANK, q.entry_id).enabled  # the bank entry stays


def test_false_positive_naming_an_entry_not_matched(amparo: Runtime) -> None:
    q = queue_matched(amparo)
    _claim(amparo, q.item_id)
    verdict = review.Verdict(
        "false_positive", action="disable_entry", bank=BANK, entry_id=q.entry_id + 99
    )
    with pytest.raises(InputError, match="not among the scan's matches"):
        _decide(amparo, q.item_id, verdict)
    with amparo.session() as s:  # nothing happened: the item is still open
        assert review.get_item(s, q.item_id).status == "open"


def test_escalate_queues_a_new_item(amparo: Runtime) -> None:
    q = queue_matched(amparo, priority=7)
    _claim(amparo, q.item_id)
    item = _decide(amparo, q.item_id, review.Verdict("escalate", note="needs a second look"))
    assert item.outcome is not None
    with amparo.session() as s:
        new = review.get_item(s, item.outcome["escalated_to"])
    assert new.queue == review.ESCALATION_QUEUE and new.priority == 7 and new.status == "open"
    assert new.evidence_id == q.evidence_id


@pytest.mark.parametrize(
    "verdict",
    [
        review.Verdict("confirmed"),
        review.Verdict("confirmed", category="C"),
        review.Verdict("false_positive"),
        review.Verdict("false_positive", action="allow_list", bank=BANK, entry_id=1),
        review.Verdict("false_positive", action="disable_entry", bank=BANK),
        review.Verdict("escalate", category="A1"),
        review.Verdict("escalate", action="allow_list"),
        review.Verdict("maybe"),  # type: ignore[arg-type]
        review.Verdict("escalate", note="x" * 1001),
    ],
)
def test_incomplete_verdicts_are_refused(verdict: review.Verdict) -> None:
    with pytest.raises(InputError):
        verdict.checked()


@given(
    decision=st.sampled_from([*review.DECISIONS, "other"]),
    category=st.sampled_from([None, "A1", "A2", "B1", "B2", "A", "x"]),
    generative_ai=st.booleans(),
    action=st.sampled_from([None, "disable_entry", "allow_list", "x"]),
)
def test_a_verdict_is_accepted_exactly_when_it_is_consistent(
    decision: str, category: str | None, generative_ai: bool, action: str | None
) -> None:
    verdict = review.Verdict(decision, category, generative_ai, action)  # type: ignore[arg-type]
    consistent = (
        (decision == "confirmed" and category in review.CONFIRMED_CATEGORIES and action is None)
        or (
            decision == "false_positive"
            and action in review.FP_ACTIONS
            and category is None
            and not generative_ai
        )
        or (decision == "escalate" and category is None and action is None and not generative_ai)
    )
    try:
        verdict.checked()
    except InputError:
        assert not consistent
    else:
        assert consistent


def test_two_reviewers_claiming_at_the_same_moment(amparo: Runtime) -> None:
    import threading

    q = queue_matched(amparo)
    barrier = threading.Barrier(2)
    won: list[str] = []
    lost: list[str] = []

    def claim(who: Principal) -> None:
        barrier.wait()
        try:
            _claim(amparo, q.item_id, who)
            won.append(who.name)
        except review.ClaimConflictError:
            lost.append(who.name)

    threads = [threading.Thread(target=claim, args=(p,)) for p in (ANA, BEN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(won) == 1 and len(lost) == 1
    with amparo.session() as s:
        assert review.get_item(s, q.item_id).claimed_by == f"user:{won[0]}"
    assert ledger_kinds(amparo).count("review.claim") == 1
