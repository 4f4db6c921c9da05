"""What every input must be where it enters Amparo: text and numbers every store can hold.

An HTTP request (``api``), a command's arguments (``cli``) and an imported file (``banks``)
are checked against these rules once, where they come in, so nothing inside meets them:

- **text** holds no NUL character (PostgreSQL refuses it) and no lone surrogate (no UTF-8
  store can hold one; JSON's ``\\ud800`` escapes and Python's ``surrogateescape`` make them);
- **integers** fit in 64 bits, as every integer column does;
- **JSON** is strict (no ``NaN`` or ``Infinity``, every number finite, each name once in
  an object), nested at most :data:`MAX_JSON_DEPTH` deep, and every key and value in it
  follows the two rules above.

Lengths are rules of each field (a note's 255 characters, a bank name's 255) and live with
the field. Every refusal is an :class:`~amparo.errors.InputError` naming where the bad value
is and what to do.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

from amparo.errors import InputError, InvalidJSONError

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_JSON_DEPTH",
    "check_int",
    "check_json",
    "check_text",
    "load_json",
    "text_problem",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 32
"""Most arrays and objects a JSON document may nest one in another: far past any shape
Amparo reads, far short of what exhausts Python's recursion (50,000 levels did)."""

_TEXT_HINT = "send text as valid Unicode without NUL characters"

Path = tuple[str | int, ...]


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a NUL or a lone surrogate, and where), or None."""
    if "\x00" in value:
        return f"contains a NUL character (\\x00) at position {value.index(chr(0))}"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(value[exc.start])
            return f"contains a lone surrogate (\\u{code:04x}) at position {exc.start}"
    return None


def check_text(value: str, *, what: str) -> str:
    """``value`` if it can be stored as text (see the module docstring), else
    :class:`InputError` naming ``what``."""
    problem = text_problem(value)
    if problem is not None:
        raise InputError(f"{what} {problem}", hint=_TEXT_HINT)
    return value


def check_int(value: int, *, what: str) -> int:
    """``value`` if it fits in a signed 64-bit integer, else :class:`InputError`."""
    if not INT64_MIN <= value <= INT64_MAX:
        shown = str(value) if abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit number"
        raise InputError(
            f"{what} is {shown}, outside the 64-bit range",
            hint=f"integers must be between {INT64_MIN} and {INT64_MAX}",
        )
    return value


def _where(what: str, path: Path) -> str:
    return what + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def check_json(value: object, *, what: str) -> object:
    """``value`` (as ``json.loads`` gives it) if every key and string in it is storable
    text, every integer 64-bit, every float finite and it is at most :data:`MAX_JSON_DEPTH`
    deep; else :class:`InputError` naming where (e.g. ``body.hashes[3].value``).

    Walks without recursion, so any depth is refused rather than crashed on.
    """
    stack: list[tuple[object, Path]] = [(value, ())]
    while stack:  # where a value is, is only spelled out when it is refused
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not item.isascii():
                check_text(item, what=_where(what, path))
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                check_int(item, what=_where(what, path))
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise InputError(
                    f"{_where(what, path)} is not a finite number",
                    hint="numbers must be finite and within the range of a double",
                )
        elif isinstance(item, dict | list):
            if len(path) >= MAX_JSON_DEPTH:  # this container is the 33rd level
                raise InputError(
                    f"{what} is nested more than {MAX_JSON_DEPTH} levels deep",
                    hint="flatten the document",
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    if "\x00" in key or not key.isascii():
                        check_text(key, what=f"a key of {_where(what, path)}")
                    stack.append((child, (*path, key)))
            else:
                stack.extend((child, (*path, i)) for i, child in enumerate(item))
    return value


def _no_constants(what: str) -> Callable[[str], object]:
    def refuse(name: str) -> object:
        raise InputError(
            f"{what} holds {name}, which is not a JSON number",
            hint="numbers must be finite: no NaN or Infinity",
        )

    return refuse


# In JSON text a NUL or a lone surrogate can only arrive as an escape: strict parsing refuses
# raw control characters, and UTF-8 cannot carry surrogates.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class _Numbers:
    """``json.loads`` hooks that note whether any number breaks a rule (then the document is
    walked to say where), at C speed for documents without numbers."""

    def __init__(self) -> None:
        self.suspect = False

    def integer(self, digits: str) -> int:
        value = int(digits)  # over 4,300 digits: ValueError, answered by load_json
        self.suspect |= not INT64_MIN <= value <= INT64_MAX
        return value

    def real(self, digits: str) -> float:
        value = float(digits)
        self.suspect |= not math.isfinite(value)
        return value


def _check_depth(value: object, *, what: str) -> None:
    """At most :data:`MAX_JSON_DEPTH` levels of arrays and objects, walked level by level."""
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)  # type: ignore[attr-defined]
            if isinstance(child, dict | list)
        ]
        if not level:
            return
    raise InputError(
        f"{what} is nested more than {MAX_JSON_DEPTH} levels deep", hint="flatten the document"
    )


def _unique_names(what: str) -> Callable[[list[tuple[str, object]]], dict[str, object]]:
    """Objects whose names are unique: of ``{"value": A, "value": B}`` the standard library
    keeps B, other readers A (RFC 8259 leaves it open), so a proxy or a log in front may have
    seen another document than Amparo would act on. Costs ~0.2 ms per 1,000 objects."""

    def build(pairs: list[tuple[str, object]]) -> dict[str, object]:
        obj = dict(pairs)
        if len(obj) < len(pairs):
            seen: set[str] = set()
            for name, _ in pairs:
                if name in seen:
                    raise InputError(
                        f"{what} gives the name {name!r} more than once in one object",
                        hint="give each name once in a JSON object",
                    )
                seen.add(name)
        return obj

    return build


def load_json(data: str | bytes, *, what: str) -> object:
    """``data`` parsed as strict JSON (UTF-8, when bytes) and checked as :func:`check_json`
    checks a value — without walking every value of a document that cannot break a rule.

    :class:`~amparo.errors.InvalidJSONError` when it is not JSON at all (broken syntax, not
    UTF-8); :class:`InputError` when it is JSON that breaks a rule.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise InvalidJSONError(
            f"{what} is not valid JSON: it is not UTF-8", hint="send UTF-8 encoded JSON"
        ) from None
    numbers = _Numbers()
    try:
        value = json.loads(
            text,
            parse_int=numbers.integer,
            parse_float=numbers.real,
            parse_constant=_no_constants(what),
            object_pairs_hook=_unique_names(what),
        )
    except RecursionError:
        raise InputError(
            f"{what} is nested more than {MAX_JSON_DEPTH} levels deep",
            hint="flatten the document",
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            hint="send one JSON document, UTF-8 encoded",
        ) from None
    except ValueError as exc:  # an integer longer than Python converts (4,300 digits)
        raise InputError(
            f"{what} holds a number Amparo cannot read: {exc}",
            hint=f"integers must be between {INT64_MIN} and {INT64_MAX}",
        ) from None
    if numbers.suspect or _SUSPECT_ESCAPE.search(text) or text_problem(text) is not None:
        return check_json(value, what=what)  # finds the value, and says where it is
    if isinstance(value, dict | list):
        _check_depth(value, what=what)
    return value
