"""Typed events: what the domain did, as small frozen values with their own record schema.

Every change that matters is an :class:`Event` subclass: a frozen dataclass with a dotted
``kind`` (e.g. ``"bank.create"``) and a schema ``version``. Domain code emits events into its
unit of work (:meth:`amparo.store.UnitOfWork.emit`); the runtime writes them to the ledger in
the same transaction and announces them in-process only after the commit.

The record schema of an event is its fields, nothing else: :meth:`Event.record` turns them
into plain JSON values (tuples become lists, nested events become objects). An event is
never an API response model: adding a field to a route's answer must not change what is
committed to the tamper-evident log. Changing an event's fields means a new ``version``.

Don't do I/O here, and don't import other Amparo packages: every package may import this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

__all__ = ["EVENT_TYPES", "Event", "Fact", "plain"]


def plain(value: object) -> object:
    """``value`` as plain JSON data: mappings, lists, strings, numbers, booleans, None."""
    if value is None or isinstance(value, str | int | float | bool):
        return value  # most values: checked first, since every scan's events pass here
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, frozenset | set) else items
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not plain event data")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names in declaration order, looked up once per class."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


@dataclasses.dataclass(frozen=True)
class Fact:
    """A nested value inside an event (e.g. one match of a scan); recorded as an object."""


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every recorded event.

    Subclasses set ``kind`` (dotted lower-case, unique) and ``version`` (their schema's) and
    declare their fields. ``changes_catalog`` says the event alters what lookups see (banks,
    entries, keys): the runtime then refreshes its in-memory catalog right after the commit.
    """

    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1
    changes_catalog: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.kind:
            return
        known = EVENT_TYPES.get(cls.kind)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"event kind {cls.kind!r} is taken by {known.__qualname__}")
        EVENT_TYPES[cls.kind] = cls

    def record(self) -> dict[str, object]:
        """The event's data as plain JSON values: its fields, in declaration order."""
        return {name: plain(getattr(self, name)) for name in _field_names(type(self))}


EVENT_TYPES: dict[str, type[Event]] = {}
"""Every event class by kind (filled as the classes are defined)."""
