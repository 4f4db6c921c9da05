"""What one decode may cost, and how many run at once: memory, decode slots, a total deadline.

Three guards, all from :class:`amparo.config.MediaLimits`:

* **memory**: each decoder estimates, from the header, the bytes its pixels will need before
  it allocates them; :func:`check_memory` refuses an estimate over ``max_decode_memory``.
* **concurrency**: the process holds :data:`DECODE_SLOTS` slots (one per CPU it may use).
  :func:`decode_slot` takes one for the duration of a decode; a thread that already holds
  one (a hash that decodes twice, a reduction after a decode) does not take another, so a
  thread never waits on itself.
* **time**: the outermost :func:`decode_slot` starts a deadline of ``decode_timeout``
  seconds, total: waiting for a slot spends it, and decoders that work in steps (PNG bands,
  BMP runs, reductions) call :meth:`Deadline.check` between steps. A single call into a C
  decoder cannot be interrupted; the memory and work limits bound how long it can take.

Both the wait and the work end in :class:`DecodeTimeoutError` (HTTP 503): a clear error,
never a hang.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from amparo.config import MediaLimits
from amparo.errors import MediaError, MediaTooLargeError

__all__ = [
    "DECODE_SLOTS",
    "Deadline",
    "DecodeTimeoutError",
    "check_memory",
    "current_deadline",
    "decode_slot",
    "mib",
]


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


DECODE_SLOTS = _usable_cpus()
"""How many decodes the process runs at once: one per CPU it may run on. More would only
queue inside the decoders while each holds its pixel memory."""

_slots = threading.BoundedSemaphore(DECODE_SLOTS)
_held = threading.local()


class DecodeTimeoutError(MediaError):
    """No decode slot came free, or decoding did not finish, within ``decode_timeout``.

    A :class:`amparo.errors.MediaError` (so every handler of media errors handles it) with
    HTTP status 503: the server is busy, or the image costs more to decode than it allows.
    Defined here, next to the budget it enforces; it belongs in :mod:`amparo.errors`.
    """

    status_code = 503
    code = "decode_timeout"


def mib(n: int) -> str:
    """``n`` bytes as MiB, for messages."""
    return f"{n / (1024 * 1024):,.0f} MiB"


@dataclass(frozen=True)
class Deadline:
    """The monotonic time by which the current decode must be done."""

    at: float
    seconds: float

    def check(self) -> None:
        """Raise :class:`DecodeTimeoutError` if the deadline has passed."""
        if time.monotonic() > self.at:
            raise DecodeTimeoutError(
                f"decoding the image took longer than {self.seconds:g} s",
                hint="send a smaller or simpler image, or raise AMPARO_MEDIA_DECODE_TIMEOUT",
            )


def current_deadline() -> Deadline | None:
    """The deadline of the decode slot this thread holds, if it holds one."""
    deadline: Deadline | None = getattr(_held, "deadline", None)
    return deadline


@contextmanager
def decode_slot(limits: MediaLimits) -> Iterator[Deadline]:
    """Hold one of the process's :data:`DECODE_SLOTS` while the block runs.

    Re-entrant within a thread: inside a held slot it yields the same deadline and takes
    nothing. Raises :class:`DecodeTimeoutError` when no slot comes free within
    ``limits.decode_timeout`` seconds.
    """
    held = current_deadline()
    if held is not None:
        yield held
        return
    seconds = limits.decode_timeout
    deadline = Deadline(time.monotonic() + seconds, seconds)
    if not _slots.acquire(timeout=seconds):
        raise DecodeTimeoutError(
            f"no decode slot came free within {seconds:g} s: this process is already decoding "
            f"{DECODE_SLOTS} images, one per CPU",
            hint="try again later; if the server is often this busy, give it more CPUs or "
            "raise AMPARO_MEDIA_DECODE_TIMEOUT",
        )
    _held.deadline = deadline
    try:
        yield deadline
    finally:
        _held.deadline = None
        _slots.release()


def check_memory(need: int, limits: MediaLimits, what: str) -> None:
    """Refuse a decode whose estimated pixel memory ``need`` is over ``max_decode_memory``.

    ``what`` completes "decoding ..." in the message, e.g. ``"this 14,000 x 14,000
    progressive JPEG"``. Raises :class:`MediaTooLargeError`.
    """
    if need > limits.max_decode_memory:
        raise MediaTooLargeError(
            f"decoding {what} needs about {mib(need)} of memory, over the limit of "
            f"{mib(limits.max_decode_memory)} for one decode",
            hint="downscale the image (or save it as a baseline JPEG or non-interlaced PNG, "
            "which decode in little memory), or raise AMPARO_MEDIA_MAX_DECODE_MEMORY",
        )
