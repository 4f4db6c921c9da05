"""Python's cyclic garbage collector paused for bulk work that makes millions of objects.

A bulk load or import makes millions of objects (rows, hex strings, entries) that live for a
while and form no cycles; with the collector on, each of them made it scan all the others
again and again: a first load of 1M signals took 16.3 s with it and 6.5 s without, and a 300k
row import spent a fifth of its time in it (BENCHMARKS.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block; turned back on, with whatever it found off, when
    the block ends or fails. Work that runs long inside it calls ``gc.collect()`` now and
    then, so that what cycles it makes are freed."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
