"""Dates and times as people type them, for the command line and the HTTP API alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from amparo.errors import InputError

__all__ = ["parse_period", "parse_time"]


def parse_time(value: str, what: str) -> datetime:
    """An ISO 8601 time (``Z`` allowed; a date means its midnight; no zone means UTC)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{what} {value!r} is not a date or time",
            hint="give it as 2026-03-01 or 2026-03-01T12:00:00Z",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: str, what: str) -> datetime:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{what} {value!r} is not a date", hint="give it as 2026-03-01") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_period(start: str, end: str) -> tuple[datetime, datetime]:
    """``[start, end]`` as calendar days (YYYY-MM-DD, UTC, both included) -> the half-open
    interval of times ``[start 00:00, day after end 00:00)``."""
    first = _day(start, "from")
    last = _day(end, "to") + timedelta(days=1)
    if last <= first:
        raise InputError(
            f"the period ends ({end}) before it starts ({start})", hint="give from before to"
        )
    return first, last
