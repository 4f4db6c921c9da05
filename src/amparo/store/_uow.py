"""The unit of work: a session that also collects the events of what it changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from amparo.events import Event

__all__ = ["UnitOfWork"]

_Write = Callable[["UnitOfWork", list[Any]], object]


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
        self._deferred: dict[str, tuple[_Write, list[Any]]] = {}

    def emit(self, event: Event) -> None:
        """Record that ``event`` happened in this transaction."""
        self.events.append(event)

    def defer(self, key: str, write: _Write, item: Any) -> None:
        """Queue ``item`` for ``write(uow, items)``, called once per ``key`` with every item
        queued under it, when the events are taken (just before the commit): rows that many
        calls in one transaction add (a group commit's detections) go in one statement, not
        one each. ``write`` may emit events. A rollback forgets the queue."""
        self._deferred.setdefault(key, (write, []))[1].append(item)

    def take_events(self) -> list[Event]:
        """The events emitted so far, forgetting them (for the one writer at commit), after
        the deferred writes (:meth:`defer`) ran."""
        while self._deferred:
            write, items = self._deferred.pop(next(iter(self._deferred)))
            write(self, items)
        events, self.events = self.events, []
        return events

    def commit(self) -> None:
        if self._deferred:
            # Committing now would drop rows that callers were told are queued.
            raise RuntimeError(f"deferred writes not taken before commit: {sorted(self._deferred)}")
        super().commit()

    def rollback(self) -> None:
        self._deferred.clear()
        super().rollback()
