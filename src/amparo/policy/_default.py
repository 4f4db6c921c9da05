"""The built-in policy, shipped as ``default.toml`` in this package."""

from __future__ import annotations

from functools import cache
from importlib import resources

from amparo.policy._model import Policy
from amparo.policy._parse import parse_policy

__all__ = ["default_policy", "default_policy_text"]


def default_policy_text() -> str:
    """The text of the built-in policy (``amparo/policy/default.toml``)."""
    return resources.files("amparo.policy").joinpath("default.toml").read_text(encoding="utf-8")


@cache
def default_policy() -> Policy:
    """The built-in policy, used until one is activated: matches are blocked, preserved and
    reviewed; AI-generated media is preserved (30 days) and reviewed; the rest allowed."""
    policy = parse_policy(default_policy_text(), source="built-in policy")
    return Policy(
        policy.name,
        policy.rules,
        policy.text,
        policy.sha256,
        None,
        policy.description,
        builtin=True,
    )
