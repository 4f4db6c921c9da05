"""The policies' repository: all SQL on ``policies`` and ``policy_activations``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.policy import Policy, PolicyActivated, parse_policy
from amparo.store import PolicyActivationRow, PolicyRow, UnitOfWork

__all__ = ["ActivePolicy", "activate", "active_policy", "newest_activation"]


@dataclass(frozen=True)
class ActivePolicy:
    """The active policy (with its version), when and by whom it was activated, and the
    activation's sequence number (what a follower compares)."""

    policy: Policy
    activated_at: datetime
    activated_by: str
    seq: int

    def to_dict(self) -> dict[str, object]:
        """The JSON form of ``GET /v1/policy``."""
        return {
            "version": self.policy.version,
            "name": self.policy.name,
            "sha256": self.policy.sha256,
            "builtin": False,
            "activated_at": self.activated_at.isoformat(),
            "activated_by": self.activated_by,
            "rules": len(self.policy.rules),
            "text": self.policy.text,
        }


def newest_activation(session: Session) -> int | None:
    """The sequence number of the newest activation (None: none yet). One indexed read:
    followers poll it."""
    return session.scalar(select(func.max(PolicyActivationRow.seq)))


def active_policy(session: Session) -> ActivePolicy | None:
    """The active policy, parsed from its stored text, or None before any activation."""
    row = session.execute(
        select(PolicyActivationRow, PolicyRow)
        .join(PolicyRow, PolicyRow.version == PolicyActivationRow.version)
        .order_by(PolicyActivationRow.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    activation, stored = row
    policy = parse_policy(stored.text, source=f"stored policy version {stored.version}")
    return ActivePolicy(
        policy.stored_as(stored.version),
        activation.activated_at,
        activation.activated_by,
        activation.seq,
    )


def activate(uow: UnitOfWork, policy: Policy, *, actor: str) -> ActivePolicy:
    """Make ``policy`` (checked: parsed by :func:`amparo.policy.parse_policy`) the active
    one: stored as a new version unless the same text is stored already, then activated
    and ledgered. Activating the text that is already active changes nothing."""
    current = active_policy(uow)
    if current is not None and current.policy.sha256 == policy.sha256:
        return current
    version = uow.scalar(
        select(PolicyRow.version)
        .where(PolicyRow.sha256 == policy.sha256)
        .order_by(PolicyRow.version)
        .limit(1)
    )
    stored = version is None
    if version is None:
        row = PolicyRow(
            name=policy.name[:255], sha256=policy.sha256, text=policy.text, created_by=actor[:255]
        )
        uow.add(row)
        uow.flush()
        version = row.version
    activation = PolicyActivationRow(version=version, activated_by=actor[:255])
    uow.add(activation)
    uow.flush()
    uow.emit(PolicyActivated(version, policy.sha256, policy.name, len(policy.rules), actor, stored))
    return ActivePolicy(
        policy.stored_as(version), activation.activated_at, activation.activated_by, activation.seq
    )
