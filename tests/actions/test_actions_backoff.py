"""Property: the retry schedule is bounded, its caps never shrink, and every wait drawn is
within its cap (full jitter)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amparo.actions import Backoff

seconds = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def schedules(draw: st.DrawFn) -> Backoff:
    base = draw(seconds)
    return Backoff(base, draw(st.floats(min_value=base, max_value=1e7)))


@given(schedules(), st.integers(min_value=1, max_value=10_000), st.integers(0, 2**32))
def test_waits_are_bounded_and_caps_never_shrink(backoff: Backoff, retry: int, seed: int) -> None:
    cap = backoff.ceiling(retry)
    assert backoff.base <= cap <= backoff.max_seconds
    assert backoff.ceiling(retry + 1) >= cap
    assert backoff.ceiling(retry + 1) <= 2 * cap  # at most doubles
    wait = backoff.delay(retry, random.Random(seed))
    assert 0.0 <= wait <= cap


@given(schedules())
def test_first_cap_is_the_base_and_the_cap_is_reached(backoff: Backoff) -> None:
    assert backoff.ceiling(1) == backoff.base
    assert backoff.ceiling(10_000) == backoff.max_seconds


def test_jitter_spreads_waits_over_the_whole_cap() -> None:
    backoff = Backoff(10.0, 80.0)
    rng = random.Random(3)
    waits = [backoff.delay(4, rng) for _ in range(2_000)]
    assert min(waits) < 8 and max(waits) > 72  # not clustered at the cap (no plain exponential)


@pytest.mark.parametrize(("base", "top"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_bad_schedules_are_refused(base: float, top: float) -> None:
    with pytest.raises(ValueError, match="base"):
        Backoff(base, top)
