"""A server's C heap keeps what numpy frees: a request's large temporaries reuse memory
instead of faulting fresh pages in from the kernel each time (amparo.heap)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from amparo import heap
from amparo.runtime import Amparo

_CHILD = """
import resource
import numpy as np
from amparo import heap

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(25):
        # What a batch of an index lookup does: a few temporaries of ~1 MiB, then all freed.
        temporaries = [np.ones(1 << 17) for _ in range(8)]
        del temporaries
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

default = faults()
print(heap.keep_freed_memory(), default, faults())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_blocks_are_reused_not_faulted_in_again() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "True"
    default, kept = int(out[1]), int(out[2])
    # 200 MiB through fresh pages is ~51,000 page faults (glibc raises its mmap threshold
    # to 1 MiB by itself, but trims the heap's freed top at twice that); reused, once.
    assert default > 20_000
    assert kept < 5_000  # the first round faults its 8 MiB in once


def test_a_server_runtime_sets_its_heap_up(amparo: Amparo, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(heap, "keep_freed_memory", lambda: calls.append(True) or True)
    amparo.start()  # what every server worker does
    assert calls == [True]
