"""The fetch state of an exchange, kept as JSON in ``exchanges.checkpoint``.

threatexchange checkpoints are dataclasses; they are stored with :func:`dataclasses.asdict`
and rebuilt field by field from their type hints: plain JSON, never serialised Python
objects, so a stored checkpoint can neither run code nor break silently when the library
changes (an unreadable one starts a full fetch). Beside the checkpoint the state holds:

- ``sweep_since``: set while a full fetch (first fetch, stale checkpoint, or an exchange that
  always sends everything) is under way. Entries of the exchange not seen since that time are
  deleted when it completes; it survives interruptions so that a resumed fetch still sweeps.
- ``lease``: who is fetching and until when, so that two fetches never interleave. A crashed
  fetch's lease expires by itself.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from threatexchange.exchanges.fetch_state import FetchCheckpointBase

__all__ = ["LEASE", "FetchState", "checkpoint_from_json", "checkpoint_to_json"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
_VERSION = 1


def checkpoint_to_json(checkpoint: FetchCheckpointBase) -> dict[str, Any]:
    """A JSON-ready dict of a checkpoint dataclass."""
    return dataclasses.asdict(checkpoint)


def checkpoint_from_json(cls: type[FetchCheckpointBase], data: Any) -> FetchCheckpointBase | None:
    """Rebuild a checkpoint of ``cls``; None (start over) when ``data`` does not fit it."""
    try:
        return typing.cast(FetchCheckpointBase, _build(cls, data))
    except (TypeError, ValueError, KeyError) as exc:
        log.warning("stored %s checkpoint is unreadable (%s); fetching from scratch", cls, exc)
        return None


def _build(cls: type[Any], data: Any) -> Any:
    if not isinstance(data, dict):
        raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.name not in data:
            continue
        kwargs[f.name] = _value(hints.get(f.name, Any), data[f.name])
    return cls(**kwargs)


def _value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    for option in options:
        if dataclasses.is_dataclass(option) and isinstance(option, type):
            return _build(option, value)
    for option in options:
        if option in (int, float, str, bool) and isinstance(value, option):
            return value
    if any(option in (int, float, str, bool) for option in options):
        raise TypeError(f"{value!r} does not fit {hint}")
    return value


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


@dataclass(frozen=True)
class FetchState:
    """What ``exchanges.checkpoint`` holds. ``checkpoint`` is the raw JSON of the API's one."""

    api: str
    checkpoint: dict[str, Any] | None = None
    progress_ts: int | None = None
    sweep_since: datetime | None = None
    lease_token: str | None = None
    lease_until: datetime | None = None

    @classmethod
    def load(cls, api: str, data: dict[str, Any] | None) -> FetchState:
        """The state in ``data``; an empty one when missing or stored for another API."""
        if not data or data.get("v") != _VERSION or data.get("api") != api:
            return cls(api)
        lease = data.get("lease") or {}
        return cls(
            api=api,
            checkpoint=data.get("checkpoint"),
            progress_ts=data.get("progress_ts"),
            sweep_since=_dt(data.get("sweep_since")),
            lease_token=lease.get("token"),
            lease_until=_dt(lease.get("until")),
        )

    def to_json(self) -> dict[str, Any]:
        lease = None
        if self.lease_token and self.lease_until:
            lease = {"token": self.lease_token, "until": self.lease_until.isoformat()}
        return {
            "v": _VERSION,
            "api": self.api,
            "checkpoint": self.checkpoint,
            "progress_ts": self.progress_ts,
            "sweep_since": self.sweep_since.isoformat() if self.sweep_since else None,
            "lease": lease,
        }

    def leased(self, now: datetime) -> bool:
        """Whether a fetch holds this exchange now."""
        return self.lease_until is not None and self.lease_until > now


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
