"""Safe decoding of untrusted images: formats, limits, reduced decodes, a decode budget.

The only package that turns bytes into pixels. Every entry point checks
:class:`amparo.config.MediaLimits` *before* decoding: the byte length (also from a declared
length, see :func:`check_byte_length`), then the width and height in the header, then the
memory the decode would take. A decode holds one of the process's decode slots (one per
CPU) under a total deadline. Errors are the :class:`amparo.errors.MediaError` family, each
with a hint saying what to do, plus :class:`DecodeTimeoutError` (HTTP 503).

Supported: JPEG, PNG, WebP, GIF (first frame), BMP, TIFF (first page). EXIF orientation is
not applied: pixels come back as stored, which is what PDQ hashes. Damage that does not
stop the pixels (a PNG chunk with a bad CRC, bytes after the end) is worked around and
listed in :attr:`DecodedImage.problems`.

:mod:`amparo.media.synthetic` draws benign synthetic test images (gradients, shapes, text,
noise) and their everyday edits, for the demo, benchmarks and tests;
:mod:`amparo.media.hostile` builds benign but hostile files (decompression bombs, broken
structures) for tests, benchmarks and the fuzz corpus.

Don't hash here (that is :mod:`amparo.signals`) and don't read paths or URLs here: callers
pass bytes or an open binary file.
"""

from amparo.media._decode import DecodedImage, ImageInfo, decode, probe, reduce
from amparo.media._limits import (
    DECODE_SLOTS,
    DecodeTimeoutError,
    check_byte_length,
    check_dimensions,
    decode_slot,
)
from amparo.media._open import SUPPORTED_FORMATS
from amparo.media._reduce import displayable, luma

__all__ = [
    "DECODE_SLOTS",
    "SUPPORTED_FORMATS",
    "DecodeTimeoutError",
    "DecodedImage",
    "ImageInfo",
    "check_byte_length",
    "check_dimensions",
    "decode",
    "decode_slot",
    "displayable",
    "luma",
    "probe",
    "reduce",
]
