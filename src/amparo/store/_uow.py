"""The unit of work: a session that also collects the events of what it changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amparo.events import Event

__all__ = ["UnitOfWork"]


class UnitOfWork(Session):
    """One transaction of one use case, and the :class:`~amparo.events.Event` s it emits.

    Domain code changes rows through its repositories and calls :meth:`emit` for every
    change that matters. Whoever opened the unit of work (the runtime) writes the events to
    the ledger just before committing and announces them just after, so an event exists
    exactly when its change does. Don't commit a unit of work yourself.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        """Record that ``event`` happened in this transaction."""
        self.events.append(event)

    def take_events(self) -> list[Event]:
        """The events emitted so far, forgetting them (for the one writer at commit)."""
        events, self.events = self.events, []
        return events
