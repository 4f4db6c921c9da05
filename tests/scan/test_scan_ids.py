"""Scan ids are UUIDs of version 7: their first 48 bits are the Unix time in milliseconds,
so ids made later sort later (and new rows go to the end of the scans table's index)."""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amparo.scan import _model, new_scan_id

MS = st.integers(0, 2**48 - 1)


def _ms(scan_id: str) -> int:
    return int(scan_id.replace("-", "")[:12], 16)


def test_a_scan_id_is_a_version_7_uuid_of_now() -> None:
    before = time.time_ns() // 1_000_000
    scan_id = new_scan_id()
    after = time.time_ns() // 1_000_000
    parsed = uuid.UUID(scan_id)
    assert str(parsed) == scan_id and len(scan_id) == 36
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before <= _ms(scan_id) <= after


def test_ids_made_in_one_millisecond_differ() -> None:
    ids = {new_scan_id() for _ in range(10_000)}
    assert len(ids) == 10_000


@given(MS, MS)
def test_a_later_millisecond_sorts_later(first: int, second: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_model.time, "time_ns", lambda: first * 1_000_000)
        a = new_scan_id()
        patch.setattr(_model.time, "time_ns", lambda: second * 1_000_000)
        b = new_scan_id()
    assert (_ms(a), _ms(b)) == (first, second)
    if first != second:
        assert (a < b) == (first < second)
    assert uuid.UUID(a).version == uuid.UUID(b).version == 7
