"""The fuzz seed corpus: small synthetic images in every format and shape the decoders know.

Benign only: gradients, shapes, text and noise from :mod:`amparo.media.synthetic`, with the
metadata AI generators write (as text chunks, EXIF and XMP), and small versions of the
hostile structures of :mod:`amparo.media.hostile`. Each seed is a few KB: the fuzzer mutates
bytes, so small seeds that reach deep into each parser are worth more than big ones.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from amparo.media import hostile, synthetic

__all__ = ["seeds", "write_seeds"]


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def seeds() -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every seed, deterministic."""
    base = synthetic.make("shapes", 48, 32, seed=1)
    text = synthetic.make("text", 40, 40, seed=2)
    yield "png_rgb", _save(base, "PNG")
    yield "png_rgba_interlaced", _save(base.convert("RGBA"), "PNG", interlace=1)
    yield "png_palette_trns", _save(base.quantize(16), "PNG", transparency=2, bits=4)
    yield "png_grey16", _save(base.convert("I;16"), "PNG")
    yield "png_bilevel", _save(text.convert("1"), "PNG")
    params = "a prompt\nSteps: 20, Sampler: Euler, Model: m"
    with_text = _save(base, "PNG")
    yield (
        "png_generator_text",
        hostile.png_insert(
            with_text, hostile.png_chunk(b"tEXt", b"parameters\x00" + params.encode())
        ),
    )
    yield (
        "png_ztxt",
        hostile.png_insert(
            with_text, hostile.png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"x" * 500))
        ),
    )
    yield "png_bad_crc", hostile.png_insert(with_text, hostile.png_chunk(b"eXIf", b"MM", crc=0))
    yield "jpeg", _save(base, "JPEG", quality=80)
    yield "jpeg_progressive", _save(base, "JPEG", progressive=True, quality=70)
    yield "jpeg_grey_444", _save(text.convert("L"), "JPEG", subsampling=0)
    exif = Image.Exif()
    exif[0x0131] = "Stable Diffusion"
    yield "jpeg_exif", _save(base, "JPEG", exif=exif.tobytes())
    yield "jpeg_cmyk", _save(base.convert("CMYK"), "JPEG")
    yield "gif", _save(base.quantize(8), "GIF")
    yield (
        "gif_animated",
        _save(base.quantize(8), "GIF", save_all=True, append_images=[text.quantize(8)]),
    )
    yield "webp_lossy", _save(base, "WEBP", quality=50)
    yield "webp_lossless_alpha", _save(base.convert("RGBA"), "WEBP", lossless=True)
    yield "bmp", _save(base, "BMP")
    yield "bmp_palette", _save(base.quantize(16), "BMP")
    yield "tiff_deflate", _save(base, "TIFF", compression="tiff_adobe_deflate")
    yield "tiff_raw_cmyk", _save(base.convert("CMYK"), "TIFF")
    yield "tiff_float", _save(text.convert("F"), "TIFF")
    yield "gif_huge_screen", hostile.gif_huge_screen(600, 400)
    yield "jpeg_header_only", hostile.jpeg_header_only(600, 400)
    yield "jpeg_progressive_scans", hostile.jpeg_progressive_scans(64, 64, 20)
    yield "png_zlib_bomb", hostile.png_zlib_bomb(300, 200)
    yield "webp_huge_canvas", hostile.webp_huge_canvas(300, 200)
    yield "webp_lossless_bomb", hostile.webp_lossless_bomb(300, 200)
    yield "tiff_huge_tile", hostile.tiff_huge_tile(16, 16, 64)
    yield "tiff_mistyped_tile", hostile.tiff_mistyped_tile()
    yield "bmp_rle", hostile.bmp_rle_huge(64, 48)


def write_seeds(directory: Path) -> int:
    """Write every seed into ``directory`` (created); return how many."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in seeds():
        (directory / f"seed-{name}").write_bytes(data)
        count += 1
    return count
