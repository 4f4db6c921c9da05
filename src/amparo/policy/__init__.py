"""Policy: ordered rules that turn what a scan found into a decision. Pure: no I/O, no SQL.

A policy is a TOML file of rules (see :func:`parse_policy` for the format); the first rule
whose conditions all hold decides, and the last has none. :func:`evaluate` maps a scan's
:class:`ScanFacts` (matches, provenance, the caller's :class:`ContentMeta`) to a
:class:`Decision`: the rule that fired, its line, why in words, and typed :class:`Action` s
(``block``, ``quarantine``, ``review``, ``preserve``, ``report``, ``webhook``, ``allow``).

The effects of a decision (the vault, the outbox, review queues) plug in as
:class:`amparo.usecases.DecisionEffect` s, applied in the unit of work that commits the
scan. The built-in policy (:func:`default_policy`) decides until an operator activates one.
"""

from amparo.policy._default import default_policy, default_policy_text
from amparo.policy._events import PolicyActivated
from amparo.policy._facts import (
    CONTENT_FIELDS,
    Conditions,
    ContentMeta,
    MatchSeen,
    ScanFacts,
    content_meta,
)
from amparo.policy._model import (
    ACTION_KINDS,
    Action,
    ActionKind,
    Decision,
    Policy,
    PolicyError,
    Rule,
    evaluate,
)
from amparo.policy._parse import MAX_POLICY_BYTES, parse_policy

__all__ = [
    "ACTION_KINDS",
    "CONTENT_FIELDS",
    "MAX_POLICY_BYTES",
    "Action",
    "ActionKind",
    "Conditions",
    "ContentMeta",
    "Decision",
    "MatchSeen",
    "Policy",
    "PolicyActivated",
    "PolicyError",
    "Rule",
    "ScanFacts",
    "content_meta",
    "default_policy",
    "default_policy_text",
    "evaluate",
    "parse_policy",
]
