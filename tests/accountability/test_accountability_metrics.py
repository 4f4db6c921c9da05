"""Conduct metrics: properties that hold for any timelines (hypothesis), and a worked case."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amparo import accountability as acc

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)

hours = st.floats(min_value=0, max_value=24 * 90, allow_nan=False, allow_infinity=False)


@st.composite
def timelines(draw: st.DrawFn) -> list[acc.ItemTimeline]:
    items = []
    for k in range(draw(st.integers(0, 30))):
        start = T0 + draw(hours) * H
        removed = draw(st.one_of(st.none(), hours))
        items.append(
            acc.ItemTimeline(
                k + 1,
                start,
                None if removed is None else start + removed * H,
                draw(st.integers(1, 50)),
                draw(st.integers(0, 3)),
                draw(st.booleans()),
            )
        )
    return items


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1), st.floats(0, 100))
def test_percentile_is_within_range(values: list[float], q: float) -> None:
    p = acc.percentile(values, q)
    assert p is not None and min(values) <= p <= max(values)


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_percentile_is_monotone(values: list[float], a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert acc.percentile(values, low) <= acc.percentile(values, high)  # type: ignore[operator]


@given(timelines(), st.floats(0, 24 * 200))
def test_shares_are_in_unit_interval_and_consistent(
    items: list[acc.ItemTimeline], later: float
) -> None:
    as_of = T0 + later * H
    m = acc.conduct_metrics(items, as_of)
    for share in (
        m.removed_within_24h, m.removed_within_7d, m.still_online_after_42d,
        m.reupload_rate, m.ai_generated_share,
    ):  # fmt: skip
        assert share is None or 0.0 <= share <= 1.0
    assert m.items == len(items) and 0 <= m.removed <= m.items
    if m.median_hours_to_removal is not None:
        assert m.p90_hours_to_removal is not None
        assert 0 <= m.median_hours_to_removal <= m.p90_hours_to_removal
    if m.notices_per_item is not None:
        assert 1 <= m.notices_per_item <= 50
    # An item judged on 7 days was judged on 24 h too.
    assert set(m.basis["removed_within_7d"]) <= set(m.basis["removed_within_24h"])
    removed = {i.sighting_id for i in items if i.removed_at is not None and i.removed_at <= as_of}
    assert set(m.basis["removed"]) == removed


def test_a_worked_case() -> None:
    as_of = T0 + dt.timedelta(days=60)
    items = [
        acc.ItemTimeline(1, T0, T0 + 2 * H, 1, 0, True),
        acc.ItemTimeline(2, T0, T0 + 30 * H, 2, 1, False),
        acc.ItemTimeline(3, T0, T0 + dt.timedelta(days=10), 10, 0, False),
        acc.ItemTimeline(4, T0, None, 60, 2, True),
    ]
    m = acc.conduct_metrics(items, as_of)
    assert m.removed == 3 and m.median_hours_to_removal == 30
    assert m.p90_hours_to_removal == pytest.approx(30 + 0.8 * (240 - 30))
    assert m.removed_within_24h == 0.25 and m.removed_within_7d == 0.5
    assert m.still_online_after_42d == 0.25
    assert m.reupload_rate == 0.5 and m.notices_per_item == 18.25 and m.ai_generated_share == 0.5
    empty = acc.conduct_metrics([], as_of)
    assert empty.median_hours_to_removal is None and empty.removed_within_24h is None
    with pytest.raises(ValueError):
        acc.percentile([1.0], 101)
