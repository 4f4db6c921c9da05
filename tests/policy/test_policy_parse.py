"""Every bad policy is an error naming its line; nothing of it is used (fail closed)."""

from __future__ import annotations

import pytest

from amparo.errors import InputError
from amparo.policy import PolicyError, default_policy, default_policy_text, parse_policy

DEFAULT_RULE = """
[[rules]]
name = "default"
[rules.then]
allow = true
"""


def _problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert isinstance(caught.value, InputError)  # 400 over HTTP, exit 2 on the CLI
    return caught.value.problems


def _one(text: str) -> tuple[int, str]:
    problems = _problems(text)
    assert len(problems) == 1, problems
    return problems[0]


def test_the_built_in_policy_parses() -> None:
    policy = default_policy()
    assert policy.builtin and policy.version is None
    assert [r.name for r in policy.rules] == ["known-material", "ai-generated", "default"]
    assert parse_policy(default_policy_text()).sha256 == policy.sha256


def test_a_good_policy_reads_with_lines() -> None:
    text = (
        """name = "mine"

[[rules]]
name = "csam"
[rules.when]
matched = true
category = ["A1", "A2"]
distance_max = 16
[rules.then]
block = true
preserve = { days = 730 }
review = { queue = "csam", priority = 1 }
report = { kind = "ncmec" }
webhook = [{ endpoint = "trust-safety" }, { endpoint = "audit" }]
"""
        + DEFAULT_RULE
    )
    policy = parse_policy(text)
    assert policy.name == "mine"
    first, default = policy.rules
    assert (first.line, default.line) == (3, 16)
    assert first.when.category == frozenset({"A1", "A2"}) and first.when.distance_max == 16
    kinds = [a.kind for a in first.actions]
    assert kinds == ["block", "review", "preserve", "report", "webhook", "webhook"]
    review = next(a for a in first.actions if a.kind == "review")
    assert dict(review.params) == {"queue": "csam", "priority": 1, "sla_hours": 24}
    assert default.when.empty


def test_dotted_and_inline_keys_work_too() -> None:
    text = (
        """[[rules]]
name = "chat"
when = { surface = "chat", country = ["DE", "FR"] }
then.quarantine = true
"""
        + DEFAULT_RULE
    )
    (rule, _) = parse_policy(text).rules
    assert rule.when.surface == frozenset({"chat"})
    assert rule.actions[0].kind == "quarantine"


def test_not_toml_names_the_line() -> None:
    line, why = _one('name = "x"\n\n[[rules]\nname = "a"\n')
    assert line == 3 and "not valid TOML" in why


def test_unknown_top_level_field() -> None:
    line, why = _one('nmae = "x"\n' + DEFAULT_RULE)
    assert line == 1 and "unknown field 'nmae'" in why and "did you mean 'name'" in why


def test_unknown_rule_field() -> None:
    text = '[[rules]]\nname = "a"\nwhen = { matched = true }\nthen = { block = true }\nprio = 1\n'
    line, why = _one(text + DEFAULT_RULE)
    assert line == 5 and "unknown field 'prio'" in why


def test_unknown_condition_names_its_line() -> None:
    text = """[[rules]]
name = "a"
[rules.when]
matched = true
bnak = "X"
[rules.then]
block = true
"""
    line, why = _one(text + DEFAULT_RULE)
    assert line == 5 and "unknown condition 'bnak'" in why and "'bank'" in why


def test_unknown_action_names_its_line() -> None:
    text = """[[rules]]
name = "a"
[rules.when]
matched = true
[rules.then]
blok = true
"""
    line, why = _one(text + DEFAULT_RULE)
    assert line == 6 and "unknown action 'blok'" in why and "'block'" in why


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        ('review = { queue = "q", urgency = 2 }', "review has no parameter 'urgency'"),
        ('review = { priority = "high" }', "review.priority must be an integer, not text"),
        ("review = { priority = 9 }", "review.priority must be from 1 to 5"),
        ("preserve = { days = 0 }", "preserve.days must be from 1 to 36500"),
        ("report = true", "report needs kind"),
        ('report = { kind = "fbi" }', "report kind 'fbi' is not ncmec or dsa"),
        ("webhook = true", "webhook needs endpoint"),
        ('webhook = { endpoint = "has space" }', "is not a name"),
        ("block = false", "must be true or a table of parameters, not a boolean"),
        ("block = { now = true }", "block has no parameter 'now'"),
        ("allow = true\nblock = true", "allow contradicts block"),
    ],
)
def test_bad_actions(then: str, expected: str) -> None:
    text = f'[[rules]]\nname = "a"\nwhen.matched = true\n[rules.then]\n{then}\n'
    line, why = _one(text + DEFAULT_RULE)
    assert expected in why and line in (5, 6)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ('matched = "yes"', "matched must be true or false, not text"),
        ('distance_max = "5"', "distance_max must be an integer, not text"),
        ("distance_max = 2.5", "distance_max must be an integer, not a number"),
        ("classifier_score_min = true", "classifier_score_min must be a number, not a boolean"),
        ("classifier_score_min = -0.5", "classifier_score_min must be between 0 and 1"),
        ("bank = 3", "bank must be text or a list of text"),
        ('tags = ["a", 1]', "tags must be text or a list of text"),
        ('verdict = "maybe_ai"', "unknown verdict 'maybe_ai'"),
        ('evidence = ["exif"]', "unknown evidence 'exif'"),
        ('signal_type = "tmk"', "unknown signal_type 'tmk'"),
        ('country = "de"', "country 'de' is not an upper-case ISO 3166-1 alpha-2 code"),
    ],
)
def test_bad_condition_types(when: str, expected: str) -> None:
    text = f'[[rules]]\nname = "a"\n[rules.when]\n{when}\n[rules.then]\nblock = true\n'
    line, why = _one(text + DEFAULT_RULE)
    assert line == 4 and expected in why


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("distance_max = -1", "can never fire: distance_max is -1"),
        ("bank = []", "can never fire: bank is an empty list"),
        ("surface = []", "can never fire: surface is an empty list"),
        ("classifier_score_min = 1.5", "can never fire: classifier_score_min is 1.5"),
        ('matched = false\nbank = "X"', "can never fire: matched = false, but it asks bank"),
        (
            'verdict = "no_ai_signal"\nevidence = "c2pa"',
            "can never fire: AI evidence means the verdict is not no_ai_signal",
        ),
    ],
)
def test_contradictory_conditions_can_never_fire(when: str, expected: str) -> None:
    text = f'[[rules]]\nname = "a"\n[rules.when]\n{when}\n[rules.then]\nblock = true\n'
    line, why = _one(text + DEFAULT_RULE)
    assert line in (4, 5) and expected in why


def test_a_rule_after_an_unconditional_rule_can_never_fire() -> None:
    text = DEFAULT_RULE + '\n[[rules]]\nname = "late"\nwhen.matched = true\nthen.block = true\n'
    text += DEFAULT_RULE.replace('"default"', '"default2"')
    problems = _problems(text)
    lines = [line for line, _ in problems]
    assert lines == [7, 12]
    assert "rule 'late' can never fire: rule 'default' (line 2)" in problems[0][1]


def test_a_rule_with_the_same_conditions_as_an_earlier_one_can_never_fire() -> None:
    rule = (
        '[[rules]]\nname = "{}"\nwhen = {{ matched = true, bank = ["A", "B"] }}\n'
        "then.block = true\n"
    )
    text = rule.format("one") + rule.format("two").replace('["A", "B"]', '["B", "A"]')
    line, why = _one(text + DEFAULT_RULE)
    assert line == 5 and "'two' can never fire" in why and "same conditions" in why


def test_no_default_rule_names_the_last_rule() -> None:
    text = '[[rules]]\nname = "only"\nwhen.matched = true\nthen.block = true\n'
    line, why = _one(text)
    assert line == 1 and "no default rule" in why and "'only'" in why


def test_no_rules_at_all() -> None:
    line, why = _one('name = "empty"\n')
    assert line == 1 and "has no rules" in why
    assert _one("")[0] == 1


def test_a_rule_without_actions() -> None:
    line, why = _one('[[rules]]\nname = "nothing"\n')
    assert line == 1 and "has no actions" in why


def test_names_are_required_and_unique() -> None:
    text = "[[rules]]\nwhen.matched = true\nthen.block = true\n"
    assert "needs a name" in _one(text + DEFAULT_RULE)[1]
    twice = DEFAULT_RULE.replace("allow = true", "allow = true\n") + DEFAULT_RULE
    problems = _problems(twice)
    assert any("rule name 'default' is taken by the rule at line 2" in w for _, w in problems)


def test_every_problem_is_reported_at_once() -> None:
    text = """[[rules]]
name = "a"
[rules.when]
distance_max = -3
[rules.then]
blok = true

[[rules]]
name = "b"
when.matched = true
then.block = true
"""
    problems = _problems(text)
    assert [line for line, _ in problems] == [4, 6, 8]
    error = PolicyError(problems, source="p.toml")
    assert error.message.startswith("p.toml: 3 problem(s): line 4: ")
    assert error.to_dict()["errors"][0] == {"line": 4, "message": problems[0][1]}


def test_too_big_a_policy() -> None:
    _line, why = _one("#" * 1_100_000)
    assert "over 1,048,576 bytes" in why


def test_the_readme_example_parses() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Policy: what happens to every scan") :]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    policy = parse_policy(example)
    assert [r.name for r in policy.rules] == ["known material", "ai in chat", "default"]
