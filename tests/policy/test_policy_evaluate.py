"""Evaluation: the first rule whose conditions all hold decides, says why, and is pure."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from amparo.errors import InputError
from amparo.matching import Match
from amparo.policy import (
    Action,
    ContentMeta,
    Decision,
    Policy,
    PolicyError,
    ScanFacts,
    content_meta,
    default_policy,
    evaluate,
    parse_policy,
)
from amparo.provenance import Evidence, ProvenanceReport, verdict_of

BANKS = ["A", "B", "C"]
CATEGORIES = ["A1", "A2", "B1"]
TAGS = ["t1", "t2", "t3"]
SIGNALS = ["pdq", "md5"]
VERDICTS = ["declared_ai", "likely_ai", "stripped", "no_ai_signal"]
EVIDENCE = ["c2pa", "iptc", "generator_metadata", "watermark", "classifier"]
SURFACES = ["chat", "profile_photo", "post"]
COUNTRIES = ["DE", "US", "BR"]


def _match(bank: str, entry: int, st_: str, distance: int, category: str | None,
           tags: tuple[str, ...]) -> Match:  # fmt: skip
    return Match(bank, entry, entry, st_, distance, category, tags, "local", None, True)


matches = st.lists(
    st.builds(
        _match,
        st.sampled_from(BANKS),
        st.integers(1, 1000),
        st.sampled_from(SIGNALS),
        st.integers(0, 40),
        st.none() | st.sampled_from(CATEGORIES),
        st.lists(st.sampled_from(TAGS), max_size=2, unique=True).map(tuple),
    ),
    max_size=3,
)


@st.composite
def reports(draw: st.DrawFn) -> ProvenanceReport | None:
    if draw(st.booleans()):
        return None
    items = []
    for kind in draw(st.lists(st.sampled_from(EVIDENCE), max_size=3)):
        if kind == "classifier":
            score = draw(st.floats(0, 1))
            name = draw(st.sampled_from(["hive", "sightengine"]))
            items.append(
                Evidence(
                    "classifier", name, "c", "likely_ai" if score >= 0.9 else "none", score=score
                )
            )
        else:
            indicates = draw(st.sampled_from(["declared_ai", "likely_ai", "none"]))
            items.append(Evidence(kind, "somewhere", "d", indicates))
    return ProvenanceReport(verdict_of(items), tuple(items))


contents = st.builds(
    ContentMeta,
    st.none() | st.sampled_from(["c1", "c2"]),
    st.none() | st.sampled_from(["u1", "u2"]),
    st.none() | st.sampled_from(SURFACES),
    st.none() | st.sampled_from(COUNTRIES),
)


@st.composite
def facts(draw: st.DrawFn) -> ScanFacts:
    return ScanFacts.of(draw(matches), draw(reports()), draw(contents))


def _subset(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)


CONDITION_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "matched": st.just(True),
    "bank": _subset(BANKS),
    "category": _subset(CATEGORIES),
    "tags": _subset(TAGS),
    "signal_type": _subset(SIGNALS),
    "distance_max": st.integers(0, 40),
    "verdict": _subset(VERDICTS),
    "evidence": _subset(EVIDENCE),
    "classifier_score_min": st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    "surface": _subset(SURFACES),
    "country": _subset(COUNTRIES),
    "uploader_id": _subset(["u1", "u2"]),
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(CONDITION_STRATEGIES)), min_size=1,
                         max_size=3, unique=True))  # fmt: skip
    when = {k: draw(CONDITION_STRATEGIES[k]) for k in keys}
    if draw(st.booleans()) and not ({"bank", "category", "tags", "signal_type",
                                     "distance_max"} & set(when)):  # fmt: skip
        when["matched"] = False
    return when


def _toml(value: Any) -> str:
    return json.dumps(value)  # lists of strings, numbers and booleans read the same in TOML


def policy_text(rules: list[dict[str, Any]]) -> str:
    out = []
    for n, when in enumerate(rules):
        out.append(f'[[rules]]\nname = "r{n}"\n[rules.when]')
        out.extend(f"{k} = {_toml(v)}" for k, v in when.items())
        out.append(f'[rules.then]\nwebhook = {{ endpoint = "e{n}" }}\n')
    out.append('[[rules]]\nname = "default"\n[rules.then]\nallow = true\n')
    return "\n".join(out)


@st.composite
def policies(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]]]:
    rules = draw(st.lists(conditions(), max_size=6))
    try:
        return parse_policy(policy_text(rules)), rules
    except PolicyError:
        assume(False)
        raise


def holds(when: dict[str, Any], f: ScanFacts) -> bool:
    """The rules' meaning, written plainly (the oracle)."""
    match_keys = {"bank", "category", "tags", "signal_type", "distance_max"}

    def match_ok(m: Any) -> bool:
        return all(
            (k != "bank" or m.bank in v)
            and (k != "category" or m.category in v)
            and (k != "tags" or set(v) & set(m.tags))
            and (k != "signal_type" or m.signal_type in v)
            and (k != "distance_max" or m.distance <= v)
            for k, v in when.items()
            if k in match_keys
        )

    for key, value in when.items():
        if key == "matched" and bool(f.matches) != value:
            return False
        if key == "verdict" and f.verdict not in value:
            return False
        if key == "evidence" and not set(value) & f.ai_evidence:
            return False
        if key == "classifier_score_min" and not any(s >= value for _, s in f.classifier_scores):
            return False
        if key in ("surface", "country", "uploader_id") and getattr(f.content, key) not in value:
            return False
    if match_keys & set(when):
        return any(match_ok(m) for m in f.matches)
    return True


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(policies(), facts())
def test_the_first_rule_that_holds_decides(made: tuple[Policy, list[dict[str, Any]]],
                                           f: ScanFacts) -> None:  # fmt: skip
    policy, rules = made
    decision = evaluate(policy, f)
    expected = next((n for n, when in enumerate(rules) if holds(when, f)), None)
    assert decision.rule == ("default" if expected is None else f"r{expected}")
    rule = next(r for r in policy.rules if r.name == decision.rule)
    assert decision.line == rule.line and decision.actions == rule.actions
    assert decision.reason  # always says why


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(policies(), facts())
def test_evaluation_is_deterministic_and_pure(made: tuple[Policy, list[dict[str, Any]]],
                                              f: ScanFacts) -> None:  # fmt: skip
    policy, _ = made
    first = evaluate(policy, f)
    assert evaluate(policy, f) == first
    again = parse_policy(policy.text)
    assert again == policy and evaluate(again, f) == first


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(policies(), facts())
def test_a_decision_round_trips_through_json(made: tuple[Policy, list[dict[str, Any]]],
                                             f: ScanFacts) -> None:  # fmt: skip
    decision = evaluate(made[0], f)
    assert Decision.from_dict(json.loads(json.dumps(decision.to_dict()))) == decision


@given(matches, reports(), contents)
def test_facts_from_a_stored_record_equal_the_live_facts(
    found: list[Match], report: ProvenanceReport | None, content: ContentMeta
) -> None:
    live = ScanFacts.of(found, report, content)
    stored = ScanFacts.from_record(
        json.loads(json.dumps([m.to_dict() for m in found])),
        json.loads(json.dumps(report.to_dict())) if report else None,
        content.to_dict(),
    )
    assert stored == live


# -- examples ---------------------------------------------------------------------------------


def _facts(**kw: Any) -> ScanFacts:
    return ScanFacts(**kw)


def test_the_built_in_policy_fails_closed() -> None:
    policy = default_policy()
    matched = ScanFacts.of([_match("NCMEC", 12, "pdq", 4, "A1", ())], None)
    decision = evaluate(policy, matched)
    assert decision.rule == "known-material" and decision.blocked and decision.needs_media
    assert decision.preserve_days == 365
    assert decision.review is not None and decision.review.params["priority"] == 1
    assert decision.policy_version is None and decision.policy_sha256 == policy.sha256
    ai = evaluate(policy, _facts(verdict="likely_ai"))
    assert ai.rule == "ai-generated" and ai.review is not None and not ai.blocked
    clean = evaluate(policy, _facts(verdict="no_ai_signal"))
    assert clean.rule == "default" and clean.allowed and not clean.acts
    assert not clean.needs_media


def test_the_reason_names_the_conditions_that_held() -> None:
    policy = parse_policy(
        """[[rules]]
name = "csam in chat"
[rules.when]
bank = ["NCMEC", "IWF"]
category = "A1"
distance_max = 10
surface = "chat"
classifier_score_min = 0.8
[rules.then]
block = true
report = { kind = "ncmec" }

[[rules]]
name = "default"
then.allow = true
"""
    )
    f = ScanFacts.of(
        [_match("IWF", 3, "md5", 0, "B1", ()), _match("NCMEC", 12, "pdq", 6, "A1", ("x",))],
        ProvenanceReport("likely_ai", (Evidence("classifier", "hive", "d", "none", score=0.85),)),
        ContentMeta(surface="chat"),
    )
    decision = evaluate(policy, f)
    assert decision.rule == "csam in chat" and decision.line == 1
    assert "matched entry 12 of bank 'NCMEC'" in decision.reason
    assert "distance 6 (at most 10)" in decision.reason and "category A1" in decision.reason
    assert "classifier 'hive' scored 0.85 (at least 0.8)" in decision.reason
    assert "surface is 'chat'" in decision.reason
    assert decision.reports == ("ncmec",) and decision.blocked
    far = ScanFacts.of(
        [_match("NCMEC", 12, "pdq", 11, "A1", ())], None, ContentMeta(surface="chat")
    )
    assert evaluate(policy, far).rule == "default"


def test_matches_of_disabled_entries_are_not_seen() -> None:
    disabled = Match("KNOWN", 1, 1, "pdq", 0, "A1", (), "local", None, False)
    assert ScanFacts.of([disabled], None).matches == ()
    assert ScanFacts.from_record([disabled.to_dict()], None).matches == ()
    assert evaluate(default_policy(), ScanFacts.of([disabled], None)).rule == "default"


def test_a_hand_built_policy_without_a_default_fails_closed() -> None:
    policy = parse_policy('[[rules]]\nname = "d"\nthen.allow = true\n')
    broken = Policy(policy.name, (), policy.text, policy.sha256)
    with pytest.raises(PolicyError, match="no rule fired"):
        evaluate(broken, ScanFacts())


def test_decision_helpers() -> None:
    decision = Decision(
        "r", 1, "why",
        (Action("quarantine"), Action("webhook", {"endpoint": "a"}),
         Action("webhook", {"endpoint": "b"})),
        "p", 3, "0" * 64,
    )  # fmt: skip
    assert decision.quarantined and decision.needs_media and not decision.blocked
    assert decision.webhooks == ("a", "b") and decision.preserve_days is None
    assert decision.to_dict()["actions"][1] == {"kind": "webhook", "params": {"endpoint": "a"}}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"colour": "red"}, "unknown content metadata 'colour'"),
        ({"content_id": ""}, "content_id must be 1 to 255 printable characters"),
        ({"uploader_id": "x" * 256}, "uploader_id must be 1 to 255 printable characters"),
        ({"uploader_id": "a\nb"}, "uploader_id must be 1 to 255 printable characters"),
        ({"content_id": "a\x00b"}, "NUL"),
        ({"surface": "Chat Room"}, "surface 'Chat Room' is not a surface name"),
        ({"country": "DEU"}, "country 'DEU' is not an ISO 3166-1 alpha-2 code"),
        ({"country": 49}, "country must be text, not int"),
    ],
)
def test_bad_content_metadata(values: dict[str, object], expected: str) -> None:
    with pytest.raises(InputError, match=expected.replace("(", r"\(")):
        content_meta(values)


def test_content_metadata_is_normalised() -> None:
    meta = content_meta({"country": "de", "surface": "chat", "content_id": None})
    assert meta == ContentMeta(surface="chat", country="DE")
    assert meta.to_dict() == {"surface": "chat", "country": "DE"}
