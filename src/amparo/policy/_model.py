"""Value types of policies (actions, rules, policies, decisions) and evaluation.

Everything here is a frozen value; nothing does I/O. A :class:`Policy` is only ever made by
:func:`amparo.policy.parse_policy`, which checks it; :func:`evaluate` (a pure function: the
first rule whose conditions all hold decides) turns it and a scan's
:class:`~amparo.policy.ScanFacts` into a :class:`Decision`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from amparo.errors import InputError
from amparo.policy._facts import (
    Conditions,
    Predicate,
    ScanFacts,
    compile_conditions,
    explain_conditions,
)

__all__ = [
    "ACTION_KINDS",
    "Action",
    "ActionKind",
    "Decision",
    "ParamValue",
    "Policy",
    "PolicyError",
    "Rule",
    "evaluate",
]

ActionKind = Literal["block", "quarantine", "review", "preserve", "report", "webhook", "allow"]
ACTION_KINDS: tuple[ActionKind, ...] = (
    "block",
    "quarantine",
    "review",
    "preserve",
    "report",
    "webhook",
    "allow",
)
"""Every action a rule may take, in the order a decision lists them."""

ParamValue = str | int


@dataclass(frozen=True)
class Action:
    """One thing a decision says to do: ``kind`` and its parameters (with defaults filled in).

    - ``block``, ``quarantine``, ``allow``: no parameters;
    - ``review``: ``queue`` (str), ``priority`` (1 most urgent .. 5), ``sla_hours`` (int);
    - ``preserve``: ``days`` (retention, default 365: 18 U.S.C. 2258A);
    - ``report``: ``kind`` (``ncmec`` or ``dsa``): a report draft is stored, never sent here;
    - ``webhook``: ``endpoint`` (a configured endpoint's name).
    """

    kind: ActionKind
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., "params": {...}}``: the JSON form in decisions. (Params stay
        apart: ``report`` has a parameter called ``kind``.)"""
        return {"kind": self.kind, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        """The inverse of :meth:`to_dict` (for stored decisions, which were checked when made)."""
        return cls(cast(ActionKind, data["kind"]), dict(data.get("params") or {}))


@dataclass(frozen=True)
class Rule:
    """One rule: when its conditions hold (all of them), its actions are the decision.

    ``line`` is where the rule starts in the policy file (its ``[[rules]]`` header)."""

    name: str
    line: int
    when: Conditions
    actions: tuple[Action, ...]
    description: str | None = None
    predicates: tuple[Predicate, ...] = field(default=(), init=False, compare=False, repr=False)
    """Compiled checks of ``when``, cheapest first (made from ``when``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "predicates", compile_conditions(self.when))

    def explain(self, facts: ScanFacts) -> str:
        """Why this rule fires for ``facts``, in words (call it only when it does)."""
        return explain_conditions(self.when, facts)


@dataclass(frozen=True)
class Policy:
    """An ordered list of rules (the last has no conditions), with its identity.

    ``sha256`` is of the exact text it was parsed from; ``version`` is its number in the
    database (``None``: not stored — the built-in default or a file being checked).
    """

    name: str
    rules: tuple[Rule, ...]
    text: str = field(repr=False)
    sha256: str
    version: int | None = None
    description: str | None = None
    builtin: bool = False

    def stored_as(self, version: int) -> Policy:
        """This policy as the database's version ``version``."""
        return Policy(
            self.name, self.rules, self.text, self.sha256, version, self.description, False
        )


@dataclass(frozen=True)
class Decision:
    """What a policy decided for one scan: which rule fired (``rule``, at ``line``), ``why``
    (``reason``: the conditions that held, in words), and the ``actions`` to take.

    ``policy_version`` is ``None`` for the built-in default or an unsaved file;
    ``policy_sha256`` names the exact policy text either way.
    """

    rule: str
    line: int
    reason: str
    actions: tuple[Action, ...]
    policy_name: str
    policy_version: int | None
    policy_sha256: str

    def _kinds(self) -> frozenset[str]:
        return frozenset(a.kind for a in self.actions)

    def first(self, kind: ActionKind) -> Action | None:
        """The action of this kind, or None."""
        for action in self.actions:
            if action.kind == kind:
                return action
        return None

    @property
    def blocked(self) -> bool:
        """The content must not be served."""
        return "block" in self._kinds()

    @property
    def quarantined(self) -> bool:
        """The content is held (stored in the vault) until a person decides."""
        return "quarantine" in self._kinds()

    @property
    def allowed(self) -> bool:
        """The decision is ``allow`` (it may still ask for review or a webhook)."""
        return "allow" in self._kinds()

    @property
    def review(self) -> Action | None:
        """The ``review`` action (queue, priority, sla_hours), if any."""
        return self.first("review")

    @property
    def preserve_days(self) -> int | None:
        """How many days to keep the media in the vault, if it is to be preserved."""
        action = self.first("preserve")
        return int(action.params["days"]) if action is not None else None

    @property
    def reports(self) -> tuple[str, ...]:
        """The kinds of report drafts to store (``ncmec``, ``dsa``)."""
        return tuple(str(a.params["kind"]) for a in self.actions if a.kind == "report")

    @property
    def webhooks(self) -> tuple[str, ...]:
        """The endpoint names to notify."""
        return tuple(str(a.params["endpoint"]) for a in self.actions if a.kind == "webhook")

    @property
    def needs_media(self) -> bool:
        """True when the media itself must be kept (``preserve`` or ``quarantine``): only
        then does a scan hand its bytes on. Never store media otherwise."""
        return bool(self._kinds() & {"preserve", "quarantine"})

    @property
    def acts(self) -> bool:
        """True unless the decision is a bare ``allow``."""
        return self._kinds() != {"allow"}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form in scan answers and scan records."""
        return {
            "rule": self.rule,
            "line": self.line,
            "reason": self.reason,
            "actions": [a.to_dict() for a in self.actions],
            "blocked": self.blocked,
            "policy": {
                "name": self.policy_name,
                "version": self.policy_version,
                "sha256": self.policy_sha256,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """The inverse of :meth:`to_dict` (a stored decision)."""
        policy = data["policy"]
        return cls(
            rule=str(data["rule"]),
            line=int(data["line"]),
            reason=str(data["reason"]),
            actions=tuple(Action.from_dict(a) for a in data["actions"]),
            policy_name=str(policy["name"]),
            policy_version=None if policy["version"] is None else int(policy["version"]),
            policy_sha256=str(policy["sha256"]),
        )


class PolicyError(InputError):
    """A policy file that cannot be used; ``problems`` holds (line, reason) pairs (``errors`` in
    the HTTP answer: ``{"line", "message"}`` each)."""

    code = "invalid_policy"

    def __init__(self, problems: list[tuple[int, str]], *, source: str = "policy") -> None:
        problems = sorted(problems)
        shown = "; ".join(f"line {n}: {why}" for n, why in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(
            f"{source}: {len(problems)} problem(s): {shown}{more}",
            hint="fix those lines (see `amparo policy check FILE`); nothing of this policy "
            "was used",
        )
        self.problems = problems

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["errors"] = [{"line": n, "message": why} for n, why in self.problems]
        return body


def evaluate(policy: Policy, facts: ScanFacts) -> Decision:
    """The decision of ``policy`` for a scan with these ``facts``: the first rule whose
    conditions all hold, why (in words), and its actions.

    A parsed policy always decides (its last rule has no conditions). A policy built by
    hand without such a rule fails closed: :class:`PolicyError`, never a silent allow.
    """
    for rule in policy.rules:
        for check in rule.predicates:
            if not check(facts):
                break
        else:
            return Decision(
                rule=rule.name,
                line=rule.line,
                reason=rule.explain(facts),
                actions=rule.actions,
                policy_name=policy.name,
                policy_version=policy.version,
                policy_sha256=policy.sha256,
            )
    raise PolicyError([(1, "no rule fired: the policy has no default rule")], source=policy.name)
