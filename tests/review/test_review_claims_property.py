"""The rule of claims, stated once and checked on random histories: a claim succeeds exactly
when the item is open and nobody else holds a live claim; a decision succeeds exactly when
the item is open and the decider holds a live claim; after that, everything is refused as
already decided."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo import review
from amparo.auth import Principal
from amparo.runtime import Runtime
from amparo.store import utcnow

PEOPLE = {
    "ana": Principal(1, "ana", "reviewer", kind="user"),
    "ben": Principal(2, "ben", "admin", kind="user"),
}
CLAIM = 600

steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(PEOPLE)), st.sampled_from(["claim", "decide"]), st.integers(0, 900)
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=steps)
def test_claims_and_decisions_follow_the_rule(
    amparo: Runtime, history: list[tuple[str, str, int]]
) -> None:
    start = utcnow()
    with amparo.session() as s:
        item = review.enqueue_review(
            s,
            scan_id="s",
            queue="q",
            priority=0,
            sla_seconds=60,
            rule="r",
            evidence_id=None,
            now=start,
        )
    now = start
    holder: str | None = None
    until: datetime = start
    decided = False
    for who, action, wait in history:
        now = now + timedelta(seconds=wait)
        live = holder is not None and until > now
        principal = PEOPLE[who]
        try:
            with amparo.session() as s:
                if action == "claim":
                    review.claim_item(s, item.id, principal=principal, claim_seconds=CLAIM, now=now)
                else:
                    verdict = review.Verdict("confirmed", category="A1")
                    review.decide_item(s, item.id, verdict, principal=principal, now=now)
        except review.AlreadyDecidedError:
            assert decided
        except review.ClaimConflictError:
            assert not decided
            assert (live and holder != who) if action == "claim" else not (live and holder == who)
        else:
            assert not decided
            if action == "claim":
                assert not live or holder == who
                holder, until = who, now + timedelta(seconds=CLAIM)
            else:
                assert live and holder == who
                decided = True
