"""Policies: check a file, try it on a scan, activate it, show the active one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amparo import actions, policies, scan
from amparo.errors import InputError
from amparo.policy import (
    MAX_POLICY_BYTES,
    ContentMeta,
    Decision,
    Policy,
    PolicyError,
    ScanFacts,
    default_policy,
    evaluate,
    parse_policy,
)
from amparo.usecases._scan import observe
from amparo.usecases.base import ScanContext, Transactional

__all__ = [
    "PolicyTest",
    "activate_policy",
    "active_policy_view",
    "check_policy",
    "policy_text",
    "try_policy_on_media",
    "try_policy_on_scan",
]


def policy_text(data: bytes, *, source: str) -> str:
    """A policy file's bytes as text: UTF-8, at most :data:`MAX_POLICY_BYTES`."""
    if len(data) > MAX_POLICY_BYTES:
        raise InputError(
            f"{source}: {len(data):,} bytes is over the {MAX_POLICY_BYTES:,}-byte limit of a "
            "policy",
            hint="a policy is a short list of rules; split out what is not rules",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{source}: line {line}: not UTF-8 text", hint="save the policy as UTF-8"
        ) from None


def check_policy(text: str, *, source: str = "policy") -> Policy:
    """The policy in ``text``, checked (:class:`~amparo.policy.PolicyError` listing every
    problem by line otherwise). Nothing is stored."""
    return parse_policy(text, source=source)


@dataclass(frozen=True)
class PolicyTest:
    """What a policy decided for a scan (stored or of a file), and what it saw."""

    decision: Decision
    facts: ScanFacts
    scan_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``amparo policy test --json``."""
        return {"scan_id": self.scan_id, "decision": self.decision.to_dict()}


def try_policy_on_scan(amparo: Transactional, policy: Policy, scan_id: str) -> PolicyTest:
    """Evaluate ``policy`` against the stored scan ``scan_id`` (its matches, provenance and
    content metadata as recorded). Nothing is recorded."""
    with amparo.session() as s:
        stored = scan.get_scan(s, scan_id)
    facts = ScanFacts.from_record(stored.matches, stored.provenance, stored.content)
    return PolicyTest(evaluate(policy, facts), facts, scan_id)


def try_policy_on_media(
    amparo: ScanContext, policy: Policy, data: bytes, content: ContentMeta | None = None
) -> PolicyTest:
    """Scan ``data`` as a scan would (hash, match, provenance) and evaluate ``policy``.
    Nothing is recorded: no scan record, no ledger entry, no effect."""
    _, report, matches = observe(amparo, data)
    facts = ScanFacts.of(matches, report, content)
    return PolicyTest(evaluate(policy, facts), facts, None)


def activate_policy(amparo: Transactional, text: str, *, actor: str, source: str) -> dict[str, Any]:
    """Check ``text``, store it as a new version (unless that text is stored already) and
    make it the active policy, ledgered (:class:`~amparo.policy.PolicyActivated`). It
    decides this process's next scan, and other replicas' within ``index_refresh_seconds``.
    Returns the view of :func:`active_policy_view`."""
    policy = parse_policy(text, source=source)
    with amparo.session() as s:
        # A webhook action names an endpoint; one that does not exist would fail every scan
        # the rule decides, so it is refused here, naming the rule's line.
        known = {e.name for e in actions.list_endpoints(s)}
        missing = [
            (rule.line, f"rule {rule.name!r}: no webhook endpoint {a.params['endpoint']!r}")
            for rule in policy.rules
            for a in rule.actions
            if a.kind == "webhook" and a.params["endpoint"] not in known
        ]
        if missing:
            raise PolicyError(missing, source=source)
        policies.activate(s, policy, actor=actor)
    return active_policy_view(amparo)


def active_policy_view(amparo: Transactional) -> dict[str, Any]:
    """The active policy: version, name, sha256, whether built-in, when and by whom it was
    activated, its number of rules, and its text (``GET /v1/policy``)."""
    with amparo.session() as s:
        active = policies.active_policy(s)
    if active is not None:
        return active.to_dict()
    policy = default_policy()
    return {
        "version": None,
        "name": policy.name,
        "sha256": policy.sha256,
        "builtin": True,
        "activated_at": None,
        "activated_by": None,
        "text": policy.text,
        "rules": len(policy.rules),
    }
