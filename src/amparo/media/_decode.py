"""Decode the first frame of an image within limits: at full resolution, or reduced.

Two ways to decode, one budget (:mod:`amparo.media._limits`: memory, slots, deadline):

* full resolution (``min_side=None``): every stored pixel, in the stored colour mode, as
  Pillow's ``Image.open(...).load()`` gives them (this is what ThreatExchange hashes).
* reduced (``min_side=n``): at least ``n`` pixels a side, each pixel (about) the mean of a
  block of stored pixels. A JPEG first shrinks by libjpeg's DCT-domain scaling (1/2, 1/4 or
  1/8, ``Image.draft``), which also skips most of the inverse DCT and colour conversion;
  then every format is reduced by exact block means (:attr:`DecodedImage.block`). A
  non-interlaced PNG is reduced while it is decoded, a band of rows at a time, so its
  memory does not grow with its size. The other formats (GIF, WebP, TIFF, BMP, interlaced
  PNG) can only be decoded whole by Pillow: their full decode must fit
  ``max_decode_memory`` and is then reduced a band at a time.

Every decode estimates its memory from the header before allocating pixels, and refuses
(:class:`MediaTooLargeError`) what would not fit; see :mod:`amparo.media._open` for what a
JPEG's markers add. Pixels are returned as stored: EXIF orientation is *not* applied,
because PDQ hashes the stored pixels (as ThreatExchange does) and banks hold those hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageFile, PngImagePlugin

from amparo.config import MediaLimits
from amparo.errors import CorruptMediaError, MediaTooLargeError
from amparo.media._bmp import decode_rle
from amparo.media._limits import (
    Deadline,
    check_dimensions,
    check_memory,
    current_deadline,
    decode_slot,
    native_bytes,
)
from amparo.media._open import (
    BOMB_ERRORS,
    PARSE_ERRORS,
    Source,
    identify,
    open_header,
    open_source,
    read_jpeg,
    too_large_for_pillow,
)
from amparo.media._png import (
    band_rows,
    check_work,
    decode_rows,
    finish,
    png_header,
    read_png,
    repaired,
)
from amparo.media._reduce import reduce_image

__all__ = ["DecodedImage", "ImageInfo", "decode", "probe", "reduce"]

_READ_BLOCK = 4 * 1024 * 1024
_OVERHEAD = 16 * 1024 * 1024
"""What a decoder holds besides the pixels it outputs: rows, bands, tables."""

_WEBP_BYTES_PER_PIXEL = 16
"""Pillow decodes WebP through libwebp's animation decoder, which composes the frame on a
canvas it keeps twice, then copies it to Python and into the image: 16 bytes per pixel at
the peak (measured), whatever the file's size. libwebp can decode scaled, but Pillow does
not expose it, so WebP gets no reduced decode."""

MAX_SCAN_BLOCKS = 200_000_000
"""Most 8 x 8 blocks all scans of a JPEG may make libjpeg visit (~1.5 s of CPU). A 200 MP
progressive photo needs about 25 million; a few KB of empty scans can ask for billions."""


@dataclass(frozen=True)
class ImageInfo:
    """Facts from an image header: Pillow format name, stored size and colour mode."""

    format: str
    width: int
    height: int
    mode: str


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """The first frame of an image, its pixels loaded.

    ``image`` holds the pixels. A JPEG decoded with DCT scaling is ``scale`` (2, 4 or 8)
    times smaller on each axis; then ``block`` (x, y) says each pixel is the mean of a
    block that many (scaled) pixels wide and high, the last block of a row or column
    averaging the pixels there are. So ``image`` is ``ceil(width / (scale * block_x))``
    wide, likewise high. ``image.mode`` can differ from ``info.mode``: a reduced decode
    asked for ``grayscale`` is ``L`` (luma). :attr:`full_resolution` says whether ``image``
    is every stored pixel in its stored mode.

    ``problems`` are sentences about damage the decoder worked around (a chunk with a bad
    CRC, bytes after the end, image data that stops early...): evidence, never a reason to
    refuse the pixels. Don't mutate ``image``.
    """

    info: ImageInfo
    image: Image.Image
    scale: int = 1
    block: tuple[int, int] = (1, 1)
    problems: tuple[str, ...] = ()

    @property
    def factors(self) -> tuple[int, int]:
        """Stored pixels per output pixel along x and y: ``scale * block``."""
        return self.scale * self.block[0], self.scale * self.block[1]

    @property
    def full_resolution(self) -> bool:
        """True when ``image`` is every stored pixel in the stored colour mode."""
        return self.factors == (1, 1) and self.image.mode == self.info.mode


@dataclass(frozen=True)
class _Request:
    min_side: int | None
    grayscale: bool
    prefer_full: bool
    jpeg_min_side: int | None

    def factors(self, width: int, height: int) -> tuple[int, int]:
        if self.min_side is None:
            return 1, 1
        return max(1, width // self.min_side), max(1, height // self.min_side)


def probe(source: bytes | IO[bytes], limits: MediaLimits) -> ImageInfo:
    """Read only the header of ``source``: its format, size and mode, with limits checked.

    Raises the same errors as :func:`decode` except those that only decoding finds
    (a truncated body, a decode over the memory budget). ``source`` is bytes or a seekable
    binary file; takes no decode slot.
    """
    with open_source(source, limits) as src:
        name = identify(bytes(src.view[:16]))
        if name == "PNG":
            width, height, mode = png_header(src.view)
            check_dimensions(width, height, limits)
            return ImageInfo("PNG", width, height, mode)
        image, fmt = open_header(src.file(), limits, name)
        return ImageInfo(fmt, image.width, image.height, image.mode)


def decode(
    source: bytes | IO[bytes],
    limits: MediaLimits,
    *,
    min_side: int | None = None,
    grayscale: bool = False,
    prefer_full: bool = False,
    jpeg_min_side: int | None = None,
) -> DecodedImage:
    """Decode the first frame of ``source`` (bytes, or a seekable binary file).

    Checked before any pixel is decoded: the byte length (when ``source`` is bytes; for a
    file, check its size with :func:`check_byte_length` first), the header's width and
    height, then the decode's memory estimate. Then the decode holds one of the process's
    decode slots (waiting at most ``limits.decode_timeout`` seconds, which also bounds the
    decode itself where it works in steps).

    ``min_side`` asks for a reduced decode keeping at least that many pixels a side (see
    the module docstring); ``jpeg_min_side`` (default: ``min_side``) lets a JPEG's DCT
    scaling go down to that many instead, block means then stopping at ``min_side``.
    ``grayscale`` says the caller needs only luma (ITU-R BT.601, the
    PDQ and JPEG definition): a reduced decode is then ``L``, and a colour JPEG skips colour
    conversion. ``prefer_full`` asks, with ``min_side``, for every stored pixel instead
    where that costs no more CPU than the reduced decode and fits the memory budget (every
    format but JPEG): for a caller that reduces the image itself and also wants the full
    pixels, e.g. hashing that shares its decode with provenance checks.

    Raises :class:`EmptyMediaError`, :class:`UnsupportedFormatError`,
    :class:`CorruptMediaError` (bad header, damaged body), :class:`MediaTooLargeError`
    (bytes, pixels or memory over the limits) or
    :class:`~amparo.media.DecodeTimeoutError`.
    """
    request = _Request(min_side, grayscale, prefer_full, jpeg_min_side or min_side)
    with open_source(source, limits) as src, decode_slot(limits) as deadline:
        return _decode_pixels(src, limits, request, deadline)


def reduce(decoded: DecodedImage, min_side: int, *, grayscale: bool = True) -> DecodedImage:
    """``decoded`` reduced by block means to at least ``min_side`` pixels a side.

    Works a band of rows at a time (converting only a band to luma, or to displayed colours
    when not ``grayscale``); returns ``decoded`` itself when there is nothing to do.
    """
    width, height = decoded.image.size
    fx, fy = max(1, width // min_side), max(1, height // min_side)
    if (fx, fy) == (1, 1) and (decoded.image.mode == "L" or not grayscale):
        return decoded
    image = reduce_image(decoded.image, (fx, fy), grayscale=grayscale, deadline=current_deadline())
    block = (decoded.block[0] * fx, decoded.block[1] * fy)
    return DecodedImage(decoded.info, image, decoded.scale, block, decoded.problems)


def _decode_pixels(
    src: Source, limits: MediaLimits, request: _Request, deadline: Deadline
) -> DecodedImage:
    """Every decode of pixels goes through here (one place to count them in tests)."""
    name = identify(bytes(src.view[:16]))
    if name == "PNG":
        return _png(src, limits, request, deadline)
    image, fmt = open_header(src.file(), limits, name)
    info = ImageInfo(fmt, image.width, image.height, image.mode)
    if fmt == "JPEG":
        return _jpeg(src, image, info, limits, request, deadline)
    if fmt == "BMP" and image.tile and image.tile[0][0] == "bmp_rle":
        return _bmp_rle(src, image, info, limits, request, deadline)
    return _whole(src, image, info, limits, request, deadline)


def _load(image: Image.Image, fmt: str) -> None:
    """Pillow's decode, its exceptions turned into media errors."""
    try:
        image.load()
    except BOMB_ERRORS as exc:
        raise too_large_for_pillow(exc) from exc
    except PARSE_ERRORS as exc:
        raise CorruptMediaError(
            f"the {fmt} image is truncated or corrupt and cannot be decoded ({exc})",
            hint="re-export or re-download the file; a partial upload is a common cause",
        ) from exc


def _finish(
    info: ImageInfo,
    image: Image.Image,
    request: _Request,
    deadline: Deadline,
    *,
    scale: int = 1,
    problems: tuple[str, ...] = (),
    reducible_later: bool = True,
) -> DecodedImage:
    """Reduce a decoded image as asked (or keep it whole when that is preferred)."""
    if request.min_side is None or (request.prefer_full and reducible_later):
        return DecodedImage(info, image, scale, (1, 1), problems)
    factors = request.factors(*image.size)
    if factors == (1, 1) and (image.mode == "L" or not request.grayscale):
        return DecodedImage(info, image, scale, factors, problems)
    reduced = reduce_image(image, factors, grayscale=request.grayscale, deadline=deadline)
    return DecodedImage(info, reduced, scale, factors, problems)


def _png(src: Source, limits: MediaLimits, request: _Request, deadline: Deadline) -> DecodedImage:
    check_dimensions(*png_header(src.view)[:2], limits)
    layout = read_png(src.view)
    width, height = layout.width, layout.height
    check_work(layout)
    info = ImageInfo("PNG", width, height, layout.mode)
    native = width * height * native_bytes(layout.mode) + _OVERHEAD
    what = f"this {width:,} x {height:,} PNG"
    if layout.interlaced:
        check_memory(native, limits, f"{what} (interlaced: decoded whole)")
        image = PngImagePlugin.PngImageFile(repaired(layout, src.view))
        _load(image, "PNG")
        return _finish(info, image, request, deadline, problems=layout.problems)
    fits = native <= limits.max_decode_memory
    if request.min_side is None or (request.prefer_full and fits):
        check_memory(native, limits, what)
        whole = finish(Image.new(layout.mode, (width, height), None), layout)
        problems = decode_rows(
            layout,
            band_rows(layout, 1),
            lambda y, band, top: whole.paste(band, (0, y - top)),
            deadline,
        )
        return DecodedImage(info, whole, 1, (1, 1), layout.problems + problems)
    fx, fy = request.factors(width, height)
    parts: list[tuple[int, Image.Image]] = []

    def keep(y: int, band: Image.Image, top: int) -> None:
        part = reduce_image(band, (fx, fy), grayscale=request.grayscale, top=top)
        parts.append((y // fy, part))

    problems = decode_rows(layout, band_rows(layout, fy), keep, deadline)
    reduced = Image.new(parts[0][1].mode, (-(-width // fx), -(-height // fy)))
    for y, part in parts:
        reduced.paste(part, (0, y))
    return DecodedImage(info, reduced, 1, (fx, fy), layout.problems + problems)


def _jpeg(
    src: Source,
    image: ImageFile.ImageFile,
    info: ImageInfo,
    limits: MediaLimits,
    request: _Request,
    deadline: Deadline,
) -> DecodedImage:
    layout = read_jpeg(src.view)
    what = f"this {info.width:,} x {info.height:,} JPEG"
    if layout is not None and layout.scan_blocks > MAX_SCAN_BLOCKS:
        raise MediaTooLargeError(
            f"{what} has {layout.scans:,} scans, which make the decoder visit "
            f"{layout.scan_blocks:,} blocks of 8 x 8 pixels, over the limit of "
            f"{MAX_SCAN_BLOCKS:,}",
            hint="re-save the image as a baseline (non-progressive) JPEG or as PNG",
        )
    scale = 1
    if request.jpeg_min_side is not None and not (layout is not None and layout.lossless):
        side = request.jpeg_min_side
        drafted = image.draft("L" if request.grayscale else None, (side, side))
        if drafted is not None:
            scale = round(info.width / drafted[1][2])
    coefficients = layout.coefficient_bytes if layout is not None else 0
    output = image.width * image.height * native_bytes(image.mode)
    if layout is not None and layout.progressive:
        what = f"this {info.width:,} x {info.height:,} progressive JPEG"
    check_memory(output + coefficients + _OVERHEAD, limits, what)
    # Feed the decoder large blocks: on each 64 KiB block Pillow's default hands it, libjpeg
    # suspends and re-decodes the unfinished row of blocks (about 5% of a 12 MP JPEG).
    image.decodermaxblock = max(image.decodermaxblock, _READ_BLOCK)
    _load(image, "JPEG")
    return _finish(info, image, request, deadline, scale=scale, reducible_later=False)


def _bmp_rle(
    src: Source,
    image: ImageFile.ImageFile,
    info: ImageInfo,
    limits: MediaLimits,
    request: _Request,
    deadline: Deadline,
) -> DecodedImage:
    width, height = image.size
    tile = image.tile[0]
    offset, args = tile[2], tile[3]
    assert isinstance(args, tuple)  # Pillow's BMP plugin: (raw mode, RLE4?, direction)
    rle4, direction = args[1], args[2]
    # The indices (which the image shares when it can) and a copy for a bilevel image.
    check_memory(2 * width * height + _OVERHEAD, limits, f"this {width:,} x {height:,} BMP")
    indices = decode_rle(
        src.view[offset:], width, height, rle4=bool(rle4), file_offset=offset, deadline=deadline
    )
    rawmode = "L" if image.mode in {"1", "L"} else "P"
    try:
        if image.mode == rawmode:  # the image maps the indices' memory, no copy
            pixels = Image.frombuffer(image.mode, image.size, indices, "raw", rawmode, 0, direction)
        else:
            pixels = Image.frombytes(image.mode, image.size, indices, "raw", rawmode, 0, direction)
        palette = getattr(image, "palette", None)
        if pixels.mode == "P" and palette is not None:
            pixels.putpalette(palette.palette, palette.rawmode or palette.mode)
    except PARSE_ERRORS as exc:  # e.g. a palette of more colours than 8 bits can index
        raise CorruptMediaError(
            f"the BMP image is corrupt and cannot be decoded ({exc})",
            hint="re-export or re-download the file; a partial upload is a common cause",
        ) from exc
    return _finish(info, pixels, request, deadline)


def _memory_of(image: ImageFile.ImageFile, fmt: str) -> int:
    """Estimated peak bytes of Pillow decoding ``image`` whole (pixels and buffers)."""
    width, height = image.size
    pixels = width * height
    if fmt == "WEBP":
        return pixels * _WEBP_BYTES_PER_PIXEL + _OVERHEAD
    need = pixels * native_bytes(image.mode) + _OVERHEAD
    if fmt == "TIFF":
        need += _tiff_buffer(image)
    return need


def _tiff_buffer(image: ImageFile.ImageFile) -> int:
    """The strip or tile buffer libtiff allocates for one block of a TIFF's data."""
    tags = getattr(image, "tag_v2", {})
    bits = tags.get(258, (8,))
    sample_bits = (
        sum(_tiff_number(each, 258) for each in bits)
        if isinstance(bits, tuple)
        else _tiff_number(bits, 258) * _tiff_number(tags.get(277, 1), 277)
    )
    width, height = image.size
    if 322 in tags and 323 in tags:
        tile = _tiff_number(tags[322], 322) * _tiff_number(tags[323], 323)
        return tile * max(1, sample_bits) // 8
    rows = min(_tiff_number(tags.get(278, height), 278), height)
    return rows * ((width * max(1, sample_bits) + 7) // 8)


def _tiff_number(value: object, tag: int) -> int:
    """A TIFF tag that must hold one number; Pillow passes a wrongly typed one as it is."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and 0 <= value < 2**63:  # a DOUBLE tag; not NaN or inf
        return int(value)
    raise CorruptMediaError(
        f"the TIFF image is malformed: its tag {tag} should hold one number, it holds "
        f"{type(value).__name__}",
        hint="re-export the file as PNG or TIFF with a current tool",
    )


def _whole(
    src: Source,
    image: ImageFile.ImageFile,
    info: ImageInfo,
    limits: MediaLimits,
    request: _Request,
    deadline: Deadline,
) -> DecodedImage:
    """GIF, WebP, TIFF and uncompressed BMP: Pillow decodes them whole, if they fit."""
    if info.format == "BMP" and image.tile:
        _check_bmp_data(src, image)
    check_memory(
        _memory_of(image, info.format),
        limits,
        f"this {info.width:,} x {info.height:,} {info.format} (decoded whole)",
    )
    _load(image, info.format)
    return _finish(info, image, request, deadline)


def _check_bmp_data(src: Source, image: ImageFile.ImageFile) -> None:
    """Refuse an uncompressed BMP whose pixel data is missing before allocating it."""
    tile = image.tile[0]
    offset, args = tile[2], tile[3]
    # Pillow's BMP plugin: (raw mode, stride, direction)
    stride = args[1] if isinstance(args, tuple) and isinstance(args[1], int) else 0
    expected = offset + stride * image.height
    if stride and len(src.view) < expected:
        raise CorruptMediaError(
            f"the BMP image is truncated: its pixels need {expected:,} bytes, the file has "
            f"{len(src.view):,}",
            hint="re-export or re-download the file; a partial upload is a common cause",
        )
