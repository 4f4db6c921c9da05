"""Signal names, normalisation and PDQ distance; agreement with ThreatExchange."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.pdq_utils import PDQ_CONFIDENT_MATCH_THRESHOLD, simple_distance
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal

from amparo.errors import InvalidSignalError
from amparo.signals import PDQ_MATCH_THRESHOLD, SIGNAL_TYPES, normalize_signal, pdq_distance

TE_VALIDATORS = {
    "pdq": PdqSignal,
    "md5": VideoMD5Signal,
    "video_md5": VideoMD5Signal,
    "sha256": VideoSHA256Signal,
}

pdq_hashes = st.binary(min_size=32, max_size=32).map(bytes.hex)


def test_names_and_threshold_follow_threatexchange() -> None:
    assert PdqSignal.get_name() in SIGNAL_TYPES
    assert VideoMD5Signal.get_name() in SIGNAL_TYPES
    assert set(SIGNAL_TYPES) == {"pdq", "md5", "sha256", "video_md5"}
    assert PDQ_MATCH_THRESHOLD == PDQ_CONFIDENT_MATCH_THRESHOLD == 31


def test_wrong_length_message_is_precise() -> None:
    with pytest.raises(InvalidSignalError) as err:
        normalize_signal("pdq", "abcdef012345")
    assert err.value.message == "invalid pdq hash: expected 64 hex characters, got 12"
    assert err.value.hint


def test_non_hex_characters_are_named() -> None:
    with pytest.raises(InvalidSignalError) as err:
        normalize_signal("md5", "z" + "0" * 30 + "g")
    assert "'g', 'z'" in err.value.message


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(InvalidSignalError) as err:
        normalize_signal("photodna", "00")
    assert "'photodna'" in err.value.message
    for name in ("pdq", "md5", "sha256", "video_md5"):
        assert name in err.value.message


@given(
    name=st.sampled_from(sorted(SIGNAL_TYPES)),
    data=st.data(),
    upper=st.booleans(),
    left=st.sampled_from(["", " ", "\t", "\n "]),
    right=st.sampled_from(["", " ", "\r\n"]),
)
def test_normalize_round_trips_and_agrees_with_threatexchange(
    name: str, data: st.DataObject, upper: bool, left: str, right: str
) -> None:
    size = SIGNAL_TYPES[name].hex_length // 2
    canonical = data.draw(st.binary(min_size=size, max_size=size)).hex()
    sent = left + (canonical.upper() if upper else canonical) + right
    normalized = normalize_signal(name, sent)
    assert normalized == canonical
    assert normalize_signal(name, normalized) == normalized  # idempotent
    assert TE_VALIDATORS[name].validate_signal_str(normalized) == normalized


@given(name=st.sampled_from(sorted(SIGNAL_TYPES)), text=st.text(max_size=80))
def test_normalize_accepts_exactly_hex_of_the_right_length(name: str, text: str) -> None:
    stripped = text.strip()
    valid = len(stripped) == SIGNAL_TYPES[name].hex_length and all(
        c in "0123456789abcdefABCDEF" for c in stripped
    )
    try:
        normalize_signal(name, text)
    except InvalidSignalError:
        assert not valid
    else:
        assert valid


@given(a=pdq_hashes, b=pdq_hashes, c=pdq_hashes)
def test_pdq_distance_is_a_metric(a: str, b: str, c: str) -> None:
    assert pdq_distance(a, a) == 0
    assert (pdq_distance(a, b) == 0) == (a == b)
    assert pdq_distance(a, b) == pdq_distance(b, a)
    assert pdq_distance(a, c) <= pdq_distance(a, b) + pdq_distance(b, c)
    assert 0 <= pdq_distance(a, b) <= 256


@given(a=pdq_hashes, b=pdq_hashes)
def test_pdq_distance_equals_threatexchange_and_ignores_case(a: str, b: str) -> None:
    assert pdq_distance(a.upper(), f" {b} ") == simple_distance(a, b)


def test_pdq_distance_refuses_non_hashes() -> None:
    with pytest.raises(InvalidSignalError):
        pdq_distance("00" * 32, "00" * 16)
