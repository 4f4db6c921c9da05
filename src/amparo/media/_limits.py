"""What one image may cost: checks before any pixel is decoded, and the decode budget.

Checks, in the order a request meets them:

1. :func:`check_byte_length` on the *declared* length (an HTTP ``Content-Length``, a file's
   ``stat`` size) so that a 2 GB upload is refused before it is read.
2. :func:`check_dimensions` on the width and height read from the image header, so that a
   50,000 x 50,000 PNG (a "decompression bomb": a few KB that would decode to 7.5 GB) is
   refused before its pixels are allocated.
3. :func:`check_memory` on the memory the decoder estimates, from the header (and a JPEG's
   markers), that its pixels will need: over ``max_decode_memory`` it is refused.

And while decoding:

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
from amparo.errors import EmptyMediaError, MediaError, MediaTooLargeError

__all__ = [
    "DECODE_SLOTS",
    "Deadline",
    "DecodeTimeoutError",
    "check_byte_length",
    "check_dimensions",
    "check_memory",
    "current_deadline",
    "decode_slot",
    "mib",
    "native_bytes",
]

_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_ONE_BYTE = frozenset({"1", "L", "P"})


def native_bytes(mode: str) -> int:
    """Bytes per pixel Pillow stores ``mode`` in."""
    if mode in _ONE_BYTE:
        return 1
    return 2 if mode in _SIXTEEN_BIT else 4


def check_byte_length(length: int, limits: MediaLimits) -> None:
    """Refuse media whose (declared or actual) length is 0 or over ``limits.max_bytes``.

    Call it with the length a client *declares* before reading the body: it never needs the
    bytes themselves. Raises :class:`EmptyMediaError` or :class:`MediaTooLargeError`.
    """
    if length <= 0:
        raise EmptyMediaError(
            "the media is empty (0 bytes)",
            hint="send the file's contents; check that the upload or path is the right one",
        )
    if length > limits.max_bytes:
        raise MediaTooLargeError(
            f"the media is {mib(length, 1)} ({length:,} bytes), over the limit of "
            f"{mib(limits.max_bytes, 1)} ({limits.max_bytes:,} bytes)",
            hint="send a smaller file, or raise AMPARO_MEDIA_MAX_BYTES if such files are expected",
        )


def check_dimensions(width: int, height: int, limits: MediaLimits) -> None:
    """Refuse an image whose header declares a side or pixel count over ``limits``.

    Raises :class:`MediaTooLargeError` naming the limit that was crossed.
    """
    if max(width, height) > limits.max_side:
        raise MediaTooLargeError(
            f"the image is {width:,} x {height:,} pixels; its longest side is over the limit "
            f"of {limits.max_side:,} pixels",
            hint="downscale the image before sending it, or raise AMPARO_MEDIA_MAX_SIDE if "
            "such images are expected",
        )
    if width * height > limits.max_pixels:
        raise MediaTooLargeError(
            f"the image is {width:,} x {height:,} = {width * height:,} pixels, over the limit "
            f"of {limits.max_pixels:,} pixels",
            hint="downscale the image before sending it, or raise AMPARO_MEDIA_MAX_PIXELS if "
            "such images are expected",
        )


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


def mib(n: int, decimals: int = 0) -> str:
    """``n`` bytes as MiB, for messages."""
    return f"{n / (1024 * 1024):,.{decimals}f} MiB"


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
