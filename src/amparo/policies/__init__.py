"""Stored policies: every version of a policy text, and which one is active.

All SQL on ``policies`` and ``policy_activations`` is here (:mod:`amparo.policy` itself is
pure). Activating is ledgered (:class:`~amparo.policy.PolicyActivated`); the runtime holds
the active policy in memory and follows :func:`newest_activation`.
"""

from amparo.policies._repo import ActivePolicy, activate, active_policy, newest_activation

__all__ = ["ActivePolicy", "activate", "active_policy", "newest_activation"]
