"""Fuzz target: decode + hash + provenance of arbitrary bytes, with the default limits.

    python fuzz/fuzz_media.py CORPUS_DIR [libFuzzer flags]   # fuzz (scripts/fuzz runs this)
    python fuzz/fuzz_media.py crash-1234...                  # replay one input

Failures: an uncaught exception (a crash, i.e. a bug) or a broken contract
(:func:`media_target.check`: digests that are not the input's exact MD5 and SHA-256, a
report that is not JSON...), and libFuzzer's own limits set by ``scripts/fuzz``: memory
(``-rss_limit_mb``, above the 1 GB one input may cost) and time per input (``-timeout``).

Only Amparo's code is instrumented for coverage; Pillow and libjpeg run as they are.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["amparo", "media_target"]):
    from media_target import check


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
