"""BMP run-length (RLE4/RLE8) pixels, decoded run by run instead of pixel by pixel.

Pillow's decoder for these is written in Python and loops once per *pixel* to pad a row at
an end-of-line code: a 26 KB file of one-pixel rows declaring 30,000 x 6,666 pixels takes
minutes. Here each run is one slice assignment, so the cost follows the number of runs,
which the compressed size bounds (:data:`MAX_RLE_BYTES`); the output follows Pillow's
reading of the format, with one leniency: pixels an end-of-bitmap code leaves out are 0
(the background) instead of an error.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from amparo.errors import MediaTooLargeError
from amparo.media._limits import Deadline, mib

__all__ = ["MAX_RLE_BYTES", "decode_rle"]

MAX_RLE_BYTES = 2 * 1024 * 1024
"""Most run-length data a BMP may carry: about a million runs, 1-2 s of Python on a busy
2-CPU machine (``bench/bench_hostile_media.py``). RLE BMPs are small palette images from
another era; a larger one is refused as too large."""

_CHECK_EVERY = 1 << 16


def decode_rle(
    data: memoryview, width: int, height: int, *, rle4: bool, file_offset: int, deadline: Deadline
) -> NDArray[np.uint8]:
    """The palette indices of an RLE BMP, in file row order (bottom-up unless stated).

    ``data`` is the run-length data (from the pixel offset to the end of the file);
    ``file_offset`` is where it starts in the file, because absolute runs are padded to an
    even position in the file. Raises :class:`MediaTooLargeError` over
    :data:`MAX_RLE_BYTES`.
    """
    if len(data) > MAX_RLE_BYTES:
        raise MediaTooLargeError(
            f"the BMP's run-length data is {mib(len(data))}, over the {mib(MAX_RLE_BYTES)} "
            "this format may have",
            hint="convert the image to PNG",
        )
    total = width * height
    out = np.zeros(total, dtype=np.uint8)
    pos = x = i = runs = 0
    end = len(data)
    while pos < total and i + 1 < end:
        count, value = data[i], data[i + 1]
        i += 2
        runs += 1
        if runs % _CHECK_EVERY == 0:
            deadline.check()
        if count:  # encoded run, clipped to the row
            n = min(count, max(0, width - x), total - pos)
            if rle4:
                out[pos : pos + n : 2] = value >> 4
                out[pos + 1 : pos + n : 2] = value & 0x0F
            else:
                out[pos : pos + n] = value
            pos += n
            x += n
        elif value == 0:  # end of line
            pos = min(total, -(-pos // width) * width)
            x = 0
        elif value == 1:  # end of bitmap
            break
        elif value == 2:  # delta
            if i + 1 >= end:
                break
            pos = min(total, pos + data[i] + data[i + 1] * width)
            x = pos % width
            i += 2
        else:  # absolute run of `value` pixels
            n = min(total - pos, value)
            size = (n + 1) // 2 if rle4 else n
            raw = np.frombuffer(data[i : i + size], dtype=np.uint8)
            i += len(raw)
            if rle4:
                pixels = np.empty(2 * len(raw), dtype=np.uint8)
                pixels[0::2], pixels[1::2] = raw >> 4, raw & 0x0F
                pixels = pixels[:n]
            else:
                pixels = raw
            out[pos : pos + len(pixels)] = pixels
            pos += len(pixels)
            if len(raw) < size or pos == total:
                break
            x += value
            if (file_offset + i) % 2:
                i += 1
    return out
