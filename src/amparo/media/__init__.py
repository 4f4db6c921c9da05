"""Safe decoding of untrusted images: formats, size limits, fast reduced decodes.

The only package that turns bytes into pixels. Every entry point checks
:class:`amparo.config.MediaLimits` *before* decoding: the byte length (also from a declared
length, see :func:`check_byte_length`), then the width and height in the header. Errors are
the :class:`amparo.errors.MediaError` family, each with a hint saying what to do.

Supported: JPEG, PNG, WebP, GIF (first frame), BMP, TIFF (first page). EXIF orientation is
not applied: pixels come back as stored, which is what PDQ hashes.

:mod:`amparo.media.synthetic` draws benign synthetic test images (gradients, shapes, text,
noise) and their everyday edits, for the demo, benchmarks and tests.

Don't hash here (that is :mod:`amparo.signals`) and don't read paths or URLs here: callers
pass bytes or an open binary file.
"""

from amparo.media._decode import DecodedImage, ImageInfo, decode, probe
from amparo.media._limits import check_byte_length, check_dimensions
from amparo.media._open import SUPPORTED_FORMATS

__all__ = [
    "SUPPORTED_FORMATS",
    "DecodedImage",
    "ImageInfo",
    "check_byte_length",
    "check_dimensions",
    "decode",
    "probe",
]
