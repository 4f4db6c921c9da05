"""Breaks that the console enforces: after so many decisions or minutes of work, a pause.

Reviewers of this material are harmed by long unbroken exposure: the console counts each
person's decisions and working time since their last break, and past either limit starts a
break during which it shows nothing but the break screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from amparo.errors import NotFoundError
from amparo.store import UnitOfWork, UserRow, utcnow

__all__ = ["BreakPolicy", "note_work"]


@dataclass(frozen=True)
class BreakPolicy:
    """When a break starts and how long it lasts (from ``AMPARO_REVIEW_BREAK_*``)."""

    after_items: int = 25
    after_minutes: float = 50.0
    minutes: float = 10.0


def note_work(
    uow: UnitOfWork,
    user_id: int,
    policy: BreakPolicy,
    *,
    decided: bool,
    now: datetime | None = None,
) -> datetime | None:
    """Count one console action by this person (a claim or reveal, or a decision when
    ``decided``); return when their break ends if this action starts one, else None.

    Work time counts from the first action after the last break; decisions count towards
    ``after_items``.
    """
    now = now or utcnow()
    row = uow.get(UserRow, user_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no user with id {user_id}")
    if row.break_until is not None and row.break_until <= now:
        row.break_until = None
    if row.streak_started_at is None:
        row.streak_started_at, row.streak_items = now, 0
    row.streak_items += 1 if decided else 0
    worked = now - row.streak_started_at
    if row.streak_items >= policy.after_items or worked >= timedelta(minutes=policy.after_minutes):
        row.break_until = now + timedelta(minutes=policy.minutes)
        row.streak_started_at, row.streak_items = None, 0
    uow.flush()
    return row.break_until
