"""The input rules: storable text, 64-bit integers, strict and shallow JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amparo import inputs
from amparo.errors import InputError, InvalidJSONError

# Every code point, lone surrogates and NUL included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)


def _storable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


@given(any_text)
def test_text_is_accepted_exactly_when_storable(value: str) -> None:
    """Accepted iff UTF-8 can encode it and it has no NUL; a refusal says which and where."""
    if _storable(value):
        assert inputs.check_text(value, what="x") == value
    else:
        with pytest.raises(InputError, match=r"^x contains a (NUL character|lone surrogate)"):
            inputs.check_text(value, what="x")


@given(st.integers())
def test_integers_are_accepted_exactly_within_64_bits(value: int) -> None:
    if -(2**63) <= value < 2**63:
        assert inputs.check_int(value, what="n") == value
    else:
        with pytest.raises(InputError, match="outside the 64-bit range"):
            inputs.check_int(value, what="n")


def test_the_64_bit_edges() -> None:
    assert inputs.check_int(inputs.INT64_MAX, what="n") == 2**63 - 1
    assert inputs.check_int(inputs.INT64_MIN, what="n") == -(2**63)
    for outside in (2**63, -(2**63) - 1, 10**4000):
        with pytest.raises(InputError, match="outside the 64-bit range"):
            inputs.check_int(outside, what="n")


good_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5
)
good_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | good_text
)
good_json: st.SearchStrategy[Any] = st.recursive(
    good_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(good_text, c, max_size=3),
    max_leaves=15,
)
bad_leaf = st.sampled_from(["a\x00", "\ud800", 2**63, -(2**63) - 1, float("inf"), float("nan")])


@st.composite
def with_one_bad_leaf(draw: st.DrawFn) -> Any:
    """A valid document with one bad value put somewhere inside it."""
    bad = draw(bad_leaf)
    wrappers = draw(st.lists(st.sampled_from(["list", "dict", "key"]), max_size=5))
    value: Any = bad
    for kind in wrappers:
        if kind == "list":
            value = [*draw(st.lists(good_json, max_size=2)), value]
        elif kind == "dict":
            value = {
                **draw(st.dictionaries(st.text(max_size=3), good_json, max_size=2)),
                "k": value,
            }
        elif isinstance(bad, str):
            value = {bad: 1}
    return value


@given(good_json)
def test_good_json_passes(value: Any) -> None:
    assert inputs.check_json(value, what="body") == value
    assert inputs.load_json(json.dumps(value), what="body") == value


@given(with_one_bad_leaf())
def test_one_bad_value_anywhere_is_found(value: Any) -> None:
    with pytest.raises(InputError):
        inputs.check_json(value, what="body")
    with pytest.raises(InputError):  # the text's quick path finds it too
        inputs.load_json(json.dumps(value), what="body")


def _verdict(check: Any) -> str | None:
    try:
        check()
    except InputError as exc:
        return exc.message
    return None


@given(st.one_of(good_json, with_one_bad_leaf()), st.integers(0, 40))
def test_parsing_and_walking_agree(value: Any, depth: int) -> None:
    """load_json skips the walk when the text shows nothing suspect: it must refuse exactly
    what the walk refuses (NaN and Infinity, which JSON has no words for, in its own words)."""
    nested = value
    for _ in range(depth):
        nested = [nested]
    walked = _verdict(lambda: inputs.check_json(nested, what="body"))
    parsed = _verdict(lambda: inputs.load_json(json.dumps(nested), what="body"))
    assert (parsed is None) == (walked is None), (parsed, walked)
    if parsed is not None and "JSON number" not in parsed:
        assert parsed == walked


def test_the_refusal_names_where_the_value_is() -> None:
    with pytest.raises(InputError, match=r"^body\.hashes\[1\]\.value contains a NUL"):
        inputs.check_json({"hashes": [{"value": "ok"}, {"value": "a\x00"}]}, what="body")


@pytest.mark.parametrize("depth", [inputs.MAX_JSON_DEPTH + 1, 500, 50_000])
def test_deep_nesting_is_refused_not_crashed_on(depth: int) -> None:
    with pytest.raises(InputError, match="nested more than 32 levels"):
        inputs.load_json("[" * depth + "]" * depth, what="body")


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = inputs.MAX_JSON_DEPTH
    assert inputs.load_json("[" * depth + "]" * depth, what="body") is not None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"a": NaN}', "NaN, which is not a JSON number"),
        ("[Infinity]", "Infinity, which is not a JSON number"),
        ("[1e400]", "not a finite number"),
        ("[" + "9" * 5000 + "]", "a number Amparo cannot read"),
        ('["\\u0000"]', "NUL character"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ('{"a": 1, "a": 2}', "name 'a' more than once in one object"),
        ('[{"x": {"k": 1, "j": 2, "k": 1}}]', "name 'k' more than once"),
    ],
)
def test_strict_json(text: str, why: str) -> None:
    with pytest.raises(InputError, match=why) as refused:
        inputs.load_json(text, what="body")
    assert not isinstance(refused.value, InvalidJSONError)


@pytest.mark.parametrize("text", ["{", "", "nonsense", b"\xff\xfe\x00"])
def test_text_that_is_not_json_is_invalid_json(text: str | bytes) -> None:
    with pytest.raises(InvalidJSONError):
        inputs.load_json(text, what="body")


@given(st.lists(st.sampled_from(["a", "b", "é", "", "a\\u0062"]), max_size=5), st.integers(0, 3))
def test_an_object_is_refused_exactly_when_a_name_repeats(names: list[str], depth: int) -> None:
    """Whichever way the names are written (escaped or not), at whatever depth."""
    text = "{" + ", ".join(f'"{n}": {i}' for i, n in enumerate(names)) + "}"
    for _ in range(depth):
        text = f'{{"k": [{text}]}}'
    decoded = [json.loads(f'"{n}"') for n in names]
    verdict = _verdict(lambda: inputs.load_json(text, what="body"))
    if len(set(decoded)) == len(decoded):
        assert verdict is None
    else:
        assert verdict is not None and "more than once in one object" in verdict
