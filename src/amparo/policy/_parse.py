"""Reading a policy file: TOML in, a checked :class:`Policy` out, or every problem by line.

A policy is::

    name = "my platform"                 # optional
    description = "..."                  # optional

    [[rules]]
    name = "known material"
    [rules.when]                         # all must hold; lists mean "any of"
    matched = true
    category = ["A1", "A2"]
    distance_max = 16
    [rules.then]                         # true, or a table of parameters
    block = true
    preserve = { days = 365 }
    review = { queue = "known", priority = 1, sla_hours = 24 }

    [[rules]]
    name = "default"                     # the last rule has no `when`
    [rules.then]
    allow = true

It fails closed: an unknown field, condition or action, a value of the wrong type or out of
range, a rule that can never fire (after a rule without conditions, with the same
conditions as an earlier rule, or with conditions that contradict each other or an empty
"any of" list) and a policy whose last rule has conditions are all errors, each naming its
line, and nothing of such a file is used.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from amparo.policy._facts import MATCH_CONDITIONS, Conditions
from amparo.policy._lines import Lines
from amparo.policy._model import (
    ACTION_KINDS,
    Action,
    ActionKind,
    ParamValue,
    Policy,
    PolicyError,
    Rule,
)
from amparo.provenance import EvidenceType, Verdict
from amparo.signals import SIGNAL_TYPES

__all__ = ["MAX_POLICY_BYTES", "MAX_RULES", "parse_policy"]

MAX_POLICY_BYTES = 1_048_576
"""The largest policy text accepted."""
MAX_RULES = 1000
"""The most rules one policy may have."""

_RULE_KEYS = ("name", "description", "when", "then")
_TOP_KEYS = ("name", "description", "rules")
_VERDICTS = frozenset(get_args(Verdict))
# ``media`` evidence (a damaged container) never indicates AI: a rule on it could never fire.
_EVIDENCE = frozenset(get_args(EvidenceType)) - {"media"}
_SIGNAL_TYPES = frozenset(SIGNAL_TYPES)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_TEXT_CONDITIONS = (
    "bank",
    "category",
    "tags",
    "signal_type",
    "verdict",
    "evidence",
    "classifier",
    "content_id",
    "uploader_id",
    "surface",
    "country",
)
_CONDITIONS = ("matched", *_TEXT_CONDITIONS, "distance_max", "classifier_score_min")

_Param = tuple[type, ParamValue | None, tuple[int, int] | None]
_PARAMS: dict[str, dict[str, _Param]] = {
    "review": {
        "queue": (str, "default", None),
        "priority": (int, 3, (1, 5)),
        "sla_hours": (int, 24, (1, 8760)),
    },
    "preserve": {"days": (int, 365, (1, 36_500))},
    "report": {"kind": (str, None, None)},
    "webhook": {"endpoint": (str, None, None)},
}
"""Each action's parameters: (type, default or None when required, inclusive bounds)."""


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "text"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(choices)})"


@dataclass
class _Reader:
    """Collects problems while reading one policy."""

    lines: Lines
    problems: list[tuple[int, str]]

    def problem(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    # -- conditions ------------------------------------------------------------------------

    def _texts(self, i: int, rule: str, key: str, value: object) -> frozenset[str] | None:
        line = self.lines.key(i, key, "when")
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            self.problem(line, f"rule {rule!r}: {key} must be text or a list of text")
            return None
        if not items:
            self.problem(line, f"rule {rule!r} can never fire: {key} is an empty list")
            return None
        allowed = {"verdict": _VERDICTS, "evidence": _EVIDENCE, "signal_type": _SIGNAL_TYPES}
        if key in allowed:
            wrong = sorted(set(items) - allowed[key])
            if wrong:
                self.problem(
                    line,
                    f"rule {rule!r}: unknown {key} {', '.join(map(repr, wrong))} "
                    f"(known: {', '.join(sorted(allowed[key]))})",
                )
                return None
        if key == "country":
            wrong = [c for c in items if not _COUNTRY.fullmatch(c)]
            if wrong:
                self.problem(
                    line,
                    f"rule {rule!r}: country {wrong[0]!r} is not an upper-case ISO 3166-1 "
                    "alpha-2 code (e.g. US, DE)",
                )
                return None
        return frozenset(items)

    def conditions(self, i: int, rule: str, when: object) -> Conditions | None:
        if when is None:
            return Conditions()
        if not isinstance(when, dict):
            self.problem(self.lines.key(i, "when"), f"rule {rule!r}: when must be a table")
            return None
        found: dict[str, Any] = {}
        ok = True
        for key, value in when.items():
            line = self.lines.key(i, key, "when")
            if key not in _CONDITIONS:
                self.problem(
                    line, f"rule {rule!r}: unknown condition {key!r}" + _suggest(key, _CONDITIONS)
                )
                ok = False
            elif key == "matched":
                if not isinstance(value, bool):
                    self.problem(
                        line,
                        f"rule {rule!r}: matched must be true or false, not {_type_name(value)}",
                    )
                    ok = False
                else:
                    found[key] = value
            elif key == "distance_max":
                if isinstance(value, bool) or not isinstance(value, int):
                    self.problem(
                        line,
                        f"rule {rule!r}: distance_max must be an integer, not {_type_name(value)}",
                    )
                    ok = False
                elif value < 0:
                    self.problem(
                        line,
                        f"rule {rule!r} can never fire: distance_max is {value}, and a "
                        "distance is never below 0",
                    )
                    ok = False
                else:
                    found[key] = value
            elif key == "classifier_score_min":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    self.problem(
                        line,
                        f"rule {rule!r}: classifier_score_min must be a number, "
                        f"not {_type_name(value)}",
                    )
                    ok = False
                elif value > 1:
                    self.problem(
                        line,
                        f"rule {rule!r} can never fire: classifier_score_min is {value}, and "
                        "scores are at most 1",
                    )
                    ok = False
                elif value < 0:
                    self.problem(
                        line, f"rule {rule!r}: classifier_score_min must be between 0 and 1"
                    )
                    ok = False
                else:
                    found[key] = float(value)
            else:
                texts = self._texts(i, rule, key, value)
                if texts is None:
                    ok = False
                else:
                    found[key] = texts
        if not ok:
            return None
        return self._consistent(i, rule, Conditions(**found))

    def _consistent(self, i: int, rule: str, when: Conditions) -> Conditions | None:
        """Conditions that contradict each other make a rule that can never fire."""
        if when.matched is False:
            asked = [n for n in MATCH_CONDITIONS if getattr(when, n) is not None]
            if asked:
                self.problem(
                    self.lines.key(i, "matched", "when"),
                    f"rule {rule!r} can never fire: matched = false, but it asks {asked[0]} "
                    "of a match",
                )
                return None
        if when.verdict == frozenset({"no_ai_signal"}) and when.evidence is not None:
            self.problem(
                self.lines.key(i, "evidence", "when"),
                f"rule {rule!r} can never fire: AI evidence means the verdict is not no_ai_signal",
            )
            return None
        return when

    # -- actions ---------------------------------------------------------------------------

    def _params(
        self, line: int, rule: str, kind: ActionKind, given: Mapping[str, object]
    ) -> dict[str, ParamValue] | None:
        wanted = _PARAMS.get(kind, {})
        params: dict[str, ParamValue] = {}
        ok = True
        for name, value in given.items():
            if name not in wanted:
                known = ", ".join(wanted) or "none"
                self.problem(
                    line, f"rule {rule!r}: {kind} has no parameter {name!r} (known: {known})"
                )
                ok = False
                continue
            typ, _, bounds = wanted[name]
            if isinstance(value, bool) or not isinstance(value, typ):
                self.problem(
                    line,
                    f"rule {rule!r}: {kind}.{name} must be "
                    f"{'an integer' if typ is int else 'text'}, not {_type_name(value)}",
                )
                ok = False
                continue
            if (
                bounds is not None
                and isinstance(value, int)
                and not bounds[0] <= value <= bounds[1]
            ):
                self.problem(
                    line, f"rule {rule!r}: {kind}.{name} must be from {bounds[0]} to {bounds[1]}"
                )
                ok = False
                continue
            if isinstance(value, str) and not _NAME.fullmatch(value):
                self.problem(
                    line,
                    f"rule {rule!r}: {kind}.{name} {value[:80]!r} is not a name (1 to 64 "
                    "letters, digits and _ . : -, starting with a letter or digit)",
                )
                ok = False
                continue
            assert isinstance(value, str | int)
            params[name] = value
        for name, (_, default, _) in wanted.items():
            if name in given:
                continue  # given (wrong values were reported above)
            if default is None:
                self.problem(
                    line, f'rule {rule!r}: {kind} needs {name} (e.g. {kind} = {{ {name} = "..." }})'
                )
                ok = False
            else:
                params[name] = default
        if ok and kind == "report" and params["kind"] not in ("ncmec", "dsa"):
            self.problem(line, f"rule {rule!r}: report kind {params['kind']!r} is not ncmec or dsa")
            ok = False
        return params if ok else None

    def actions(self, i: int, rule: str, then: object) -> tuple[Action, ...] | None:
        if then is None:
            self.problem(
                self.lines.rule(i),
                f"rule {rule!r} has no actions: add a [rules.then] table (e.g. allow = true)",
            )
            return None
        if not isinstance(then, dict) or not then:
            self.problem(
                self.lines.key(i, "then"),
                f"rule {rule!r}: then must be a table of actions (e.g. block = true)",
            )
            return None
        out: list[Action] = []
        ok = True
        for key, value in then.items():
            line = self.lines.key(i, key, "then")
            if key not in ACTION_KINDS:
                self.problem(
                    line, f"rule {rule!r}: unknown action {key!r}" + _suggest(key, ACTION_KINDS)
                )
                ok = False
                continue
            kind: ActionKind = key
            many = value if isinstance(value, list) and kind in ("report", "webhook") else [value]
            for item in many:
                if item is True:
                    item = {}
                if not isinstance(item, dict):
                    self.problem(
                        line,
                        f"rule {rule!r}: action {kind} must be true or a table of parameters, "
                        f"not {_type_name(item)}",
                    )
                    ok = False
                    continue
                params = self._params(line, rule, kind, item)
                if params is None:
                    ok = False
                else:
                    out.append(Action(kind, params))
        if not ok:
            return None
        kinds = {a.kind for a in out}
        stops = sorted(kinds & {"block", "quarantine"})
        if "allow" in kinds and stops:
            self.problem(
                self.lines.key(i, "allow", "then"),
                f"rule {rule!r}: allow contradicts {' and '.join(stops)}",
            )
            return None
        order = {k: n for n, k in enumerate(ACTION_KINDS)}
        return tuple(sorted(out, key=lambda a: order[a.kind]))

    # -- rules -----------------------------------------------------------------------------

    def rule(self, i: int, raw: object, names: dict[str, int]) -> Rule | None:
        line = self.lines.rule(i)
        if not isinstance(raw, dict):
            self.problem(line, f"rule {i + 1} must be a table ([[rules]])")
            return None
        name = raw.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.isprintable():
            self.problem(
                self.lines.key(i, "name") if "name" in raw else line,
                f"rule {i + 1} needs a name: 1 to 100 printable characters",
            )
            name = f"#{i + 1}"
        elif name in names:
            self.problem(line, f"rule name {name!r} is taken by the rule at line {names[name]}")
        else:
            names[name] = line
        ok = True
        for key in raw:
            if key not in _RULE_KEYS:
                self.problem(
                    self.lines.key(i, key),
                    f"rule {name!r}: unknown field {key!r}" + _suggest(key, _RULE_KEYS),
                )
                ok = False
        description = raw.get("description")
        if description is not None and not isinstance(description, str):
            self.problem(
                self.lines.key(i, "description"), f"rule {name!r}: description must be text"
            )
            ok = False
        when = self.conditions(i, name, raw.get("when"))
        actions = self.actions(i, name, raw.get("then"))
        if not ok or when is None or actions is None:
            return None
        return Rule(name, line, when, actions, description)


def _reachable(reader: _Reader, rules: list[Rule]) -> None:
    """Every rule can fire: none follows a rule without conditions, none repeats an earlier
    rule's conditions, and the last rule has no conditions."""
    seen: dict[Conditions, Rule] = {}
    for rule in rules:
        earlier = seen.get(rule.when)
        if earlier is not None:
            why = (
                "has no conditions, so it fires for every scan"
                if earlier.when.empty
                else "has the same conditions"
            )
            reader.problem(
                rule.line,
                f"rule {rule.name!r} can never fire: rule {earlier.name!r} (line "
                f"{earlier.line}) before it {why}",
            )
            continue
        default = next((r for r in seen.values() if r.when.empty), None)
        if default is not None:
            reader.problem(
                rule.line,
                f"rule {rule.name!r} can never fire: rule {default.name!r} (line {default.line}) "
                "before it has no conditions, so it fires for every scan",
            )
            continue
        seen[rule.when] = rule


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    """The :class:`Policy` written in ``text``, or :class:`PolicyError` listing every
    problem with its line (``source`` names the file in the message)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise PolicyError([(1, f"the policy is over {MAX_POLICY_BYTES:,} bytes")], source=source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise PolicyError(
            [(int(found.group(1)) if found else 1, f"not valid TOML: {exc}")], source=source
        ) from None
    reader = _Reader(Lines(text), [])
    for key in data:
        if key not in _TOP_KEYS:
            reader.problem(
                reader.lines.top(key), f"unknown field {key!r}" + _suggest(key, _TOP_KEYS)
            )
    name = data.get("name", "policy")
    description = data.get("description")
    for key, value in (("name", name), ("description", description)):
        if value is not None and not isinstance(value, str):
            reader.problem(reader.lines.top(key), f"{key} must be text, not {_type_name(value)}")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        reader.problem(
            reader.lines.top("rules") if "rules" in data else 1,
            "the policy has no rules: add [[rules]] tables, the last one without `when` "
            "(the default rule)",
        )
        raise PolicyError(reader.problems, source=source)
    if len(raw_rules) > MAX_RULES:
        reader.problem(reader.lines.rule(MAX_RULES), f"more than {MAX_RULES} rules")
        raise PolicyError(reader.problems, source=source)
    names: dict[str, int] = {}
    rules = [reader.rule(i, raw, names) for i, raw in enumerate(raw_rules)]
    good = [r for r in rules if r is not None]
    _reachable(reader, good)
    last = rules[-1]
    if last is not None and not last.when.empty:
        reader.problem(
            last.line,
            f"no default rule: the last rule {last.name!r} has conditions; end the policy "
            "with a rule without `when` (e.g. allow = true)",
        )
    if reader.problems:
        raise PolicyError(reader.problems, source=source)
    return Policy(
        name=str(name),
        rules=tuple(good),
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=description if isinstance(description, str) else None,
    )
