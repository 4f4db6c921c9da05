"""The C heap of a server process: memory that numpy frees is kept for the next request.

Why: glibc's ``malloc`` serves each block over its mmap threshold (128 KiB at start) with a
fresh ``mmap`` and hands it back to the kernel on ``free``, so every such block costs page
faults and zeroing each time it is made. A ``/v1/match`` of 1,000 hashes makes hundreds of
index temporaries of 0.1-1 MB; measured in a runtime holding 1M hashes, its lookup took
128-143 ms with the start-up threshold and 64-69 ms with this one. glibc raises the threshold
by itself only after a process happens to free a large mmapped block (a server that loads its
index from a snapshot never does), so it is set here, to where glibc's own adjustment would
take it: blocks up to 32 MiB come from the heap, and up to 64 MiB of freed heap stays mapped
per process. No library does this (it is one ``mallopt`` call); other C libraries are left
as they are.
"""

from __future__ import annotations

import ctypes
import platform

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (see the module docstring) for this process;
    False where the C library is not glibc."""
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
