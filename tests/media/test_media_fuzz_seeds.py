"""The fuzz target's checks, over its seed corpus and every input the fuzzer found.

``scripts/fuzz`` fuzzes from these seeds for a bounded time; here the same checks run on
each seed once, so a seed that breaks a contract fails the suite even without atheris.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
sys.path.insert(0, str(FUZZ))

from media_target import check  # noqa: E402
from seeds import seeds  # noqa: E402

SEEDS = dict(seeds())


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_passes_the_fuzz_checks(name: str) -> None:
    check(SEEDS[name])


def test_the_seeds_cover_every_format() -> None:
    prefixes = {data[:4] for data in SEEDS.values()}
    for magic in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"GIF8", b"RIFF", b"BM", b"II*\x00"):
        assert any(prefix.startswith(magic[: len(prefix)]) for prefix in prefixes), magic
