"""What the fuzz target checks for one input: a scan's media path, and its contracts.

Kept apart from ``fuzz_media.py`` (which needs atheris) so that the tests run the same
checks over the seed corpus: ``tests/media/test_media_fuzz_seeds.py``.
"""

from __future__ import annotations

import hashlib
import json

from amparo.config import MediaLimits
from amparo.errors import EmptyMediaError, MediaTooLargeError
from amparo.provenance import analyze
from amparo.signals import hash_media

__all__ = ["LIMITS", "check"]

LIMITS = MediaLimits()


def check(data: bytes) -> None:
    """Hash ``data`` sharing its decode with provenance; raise AssertionError on a broken
    contract, and let any other exception out (it is a bug: the fuzzer reports a crash)."""
    try:
        signals, decoded = hash_media(data, LIMITS, keep_pixels=True, dihedral=True)
    except EmptyMediaError:
        assert not data
        return
    except MediaTooLargeError:
        assert len(data) > LIMITS.max_bytes
        return
    assert signals.md5 == hashlib.md5(data).hexdigest()
    assert signals.sha256 == hashlib.sha256(data).hexdigest()
    assert (signals.pdq is None) == (signals.pdq_dihedral is None)
    assert signals.decode_error is None or signals.pdq is None
    json.dumps(signals.to_dict())
    report = analyze(data, pixels=decoded, limits=LIMITS)
    json.dumps(report.to_dict(include_prompts=True))
