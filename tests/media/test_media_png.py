"""PNG: our chunk walk and banded decode give Pillow's pixels, and damage that browsers ignore
(ancillary chunks, trailing bytes, a cut-off end) never hides them."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

import amparo.media._png as png_module
from amparo.config import MediaLimits
from amparo.errors import CorruptMediaError, MediaTooLargeError
from amparo.media import decode, probe, reduce
from amparo.media.hostile import png_chunk, png_insert, png_zlib_bomb
from imagefactory import encode, photo_like, shapes

LIMITS = MediaLimits()
SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
COMBINATIONS = [
    (1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3), (2, 3), (4, 3), (8, 3),
    (8, 4), (16, 4), (8, 6), (16, 6),
]  # fmt: skip


@pytest.fixture
def small_bands(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Bands of a few rows, so that every test image crosses many band boundaries."""
    monkeypatch.setattr(png_module, "_BAND_BYTES", 700)
    yield


def _png(
    width: int,
    height: int,
    depth: int,
    color: int,
    rows: list[bytes],
    *,
    palette: bytes | None = None,
    trns: bytes | None = None,
    interlace: int = 0,
) -> bytes:
    """A PNG whose IDAT holds ``rows`` as given (filter byte first), unchecked."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    chunks = [png_chunk(b"IHDR", ihdr)]
    if palette is not None:
        chunks.append(png_chunk(b"PLTE", palette))
    if trns is not None:
        chunks.append(png_chunk(b"tRNS", trns))
    chunks += [png_chunk(b"IDAT", zlib.compress(b"".join(rows))), png_chunk(b"IEND", b"")]
    return SIGNATURE + b"".join(chunks)


def _random_rows(width: int, height: int, depth: int, color: int, seed: int) -> list[bytes]:
    """Random bytes under every filter type in turn: unfiltering them exercises all five."""
    rng = np.random.default_rng(seed)
    row_bytes = (width * depth * CHANNELS[color] + 7) // 8
    return [bytes([y % 5]) + rng.bytes(row_bytes) for y in range(height)]


def _pillow(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def _same_as_pillow(ours: Image.Image, data: bytes) -> None:
    reference = _pillow(data)
    assert ours.mode == reference.mode and ours.size == reference.size
    assert ours.tobytes() == reference.tobytes()
    assert ours.info.get("transparency") == reference.info.get("transparency")
    if reference.mode == "P":
        assert ours.convert("RGBA").tobytes() == reference.convert("RGBA").tobytes()


# --- the banded decode is Pillow's decode ---------------------------------------------------


@pytest.mark.usefixtures("small_bands")
@pytest.mark.parametrize(("depth", "color"), COMBINATIONS)
def test_every_bit_depth_and_colour_type_decodes_as_pillow_does(depth: int, color: int) -> None:
    width, height = 37, 29
    palette = bytes(range(48)) * 16 if color == 3 else None
    data = _png(width, height, depth, color, _random_rows(width, height, depth, color, depth))
    if palette is not None:
        data = png_insert(data, png_chunk(b"PLTE", palette[: 3 * 2**depth]))
    decoded = decode(data, LIMITS)
    assert decoded.full_resolution and decoded.problems == ()
    _same_as_pillow(decoded.image, data)


@pytest.mark.usefixtures("small_bands")
@pytest.mark.parametrize(("depth", "color"), COMBINATIONS)
def test_the_reduced_decode_equals_reducing_the_full_one(depth: int, color: int) -> None:
    width, height = 53, 47
    data = _png(width, height, depth, color, _random_rows(width, height, depth, color, 7))
    if color == 3:
        data = png_insert(data, png_chunk(b"PLTE", bytes(i % 256 for i in range(3 * 2**depth))))
    reduced = decode(data, LIMITS, min_side=10, grayscale=True)
    assert reduced.block == (5, 4)
    assert reduced.image.tobytes() == reduce(decode(data, LIMITS), 10).image.tobytes()


@pytest.mark.parametrize(
    ("mode", "params"),
    [
        ("P", {"transparency": 3}),
        ("P", {"transparency": bytes([0, 255, 128] + [255] * 13)}),
        ("L", {"transparency": 17}),
        ("RGB", {"transparency": (1, 2, 3)}),
        ("RGB", {"interlace": 1}),
        ("RGBA", {"interlace": 1}),
        ("P", {"interlace": 1, "transparency": 5}),
    ],
)
def test_transparency_and_interlacing_as_pillow_reads_them(
    mode: str, params: dict[str, object]
) -> None:
    base = shapes(90, 70, seed=3)
    image = base.quantize(16) if mode == "P" else base.convert(mode)
    out = io.BytesIO()
    image.save(out, "PNG", **params)
    _same_as_pillow(decode(out.getvalue(), LIMITS).image, out.getvalue())


# --- ancillary damage never hides the pixels -----------------------------------------------

ANCILLARY = [
    b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"pHYs",
    b"tIME", b"bKGD", b"hIST", b"sPLT", b"caBX", b"acTL", b"prVt",
]  # fmt: skip
PIXELS = photo_like(160, 120, seed=5)
CLEAN = encode(PIXELS, "PNG")


def _bytes_of(data: bytes) -> bytes:
    return decode(data, LIMITS).image.tobytes()


@pytest.mark.parametrize("kind", ANCILLARY)
def test_an_ancillary_chunk_with_a_bad_crc_is_ignored(kind: bytes) -> None:
    data = png_insert(CLEAN, png_chunk(kind, b"Comment\x00anything", crc=0x12345678))
    decoded = decode(data, LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN)
    assert decoded.problems == (f"the {kind.decode()!r} chunk has a bad CRC; it was ignored",)


def test_a_bad_crc_on_trns_drops_the_transparency_only() -> None:
    image = shapes(64, 48, seed=1).quantize(8)
    out = io.BytesIO()
    image.save(out, "PNG")
    data = png_insert(out.getvalue(), png_chunk(b"tRNS", b"\x00", crc=0))
    decoded = decode(data, LIMITS)
    assert "transparency" not in decoded.image.info
    assert decoded.image.tobytes() == _bytes_of(out.getvalue())
    assert decoded.problems == ("the 'tRNS' chunk has a bad CRC; it was ignored",)


@pytest.mark.parametrize("kind", [b"zTXt", b"iTXt"])
def test_a_text_chunk_that_inflates_to_megabytes_is_never_inflated(kind: bytes) -> None:
    bomb = zlib.compress(b"\x00" * (2 * 1024 * 1024), 9)
    body = b"Comment\x00\x00" + bomb if kind == b"zTXt" else b"Comment\x00\x01\x00\x00\x00" + bomb
    data = png_insert(CLEAN, png_chunk(kind, body))
    with pytest.raises(ValueError, match="Decompressed"):
        _pillow(data)  # what made hashing fail before
    decoded = decode(data, LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN) and decoded.problems == ()


def test_bytes_after_iend_are_ignored_and_reported() -> None:
    decoded = decode(CLEAN + b"trailing garbage" * 10, LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN)
    assert decoded.problems == ("160 bytes after the IEND chunk were ignored",)


def test_an_unknown_critical_chunk_is_ignored_and_reported() -> None:
    decoded = decode(png_insert(CLEAN, png_chunk(b"ZZZZ", b"x")), LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN)
    assert decoded.problems == ("the unknown critical chunk 'ZZZZ' was ignored",)


def test_a_bad_crc_on_image_data_is_reported_and_the_data_used() -> None:
    at = CLEAN.index(b"IDAT")
    length = struct.unpack(">I", CLEAN[at - 4 : at])[0]
    crc_at = at + 4 + length
    data = CLEAN[:crc_at] + b"\x00\x00\x00\x00" + CLEAN[crc_at + 4 :]
    decoded = decode(data, LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN)
    assert decoded.problems == ("the 'IDAT' chunk has a bad CRC; its data was used",)


def test_a_chunk_length_past_2_gib_ends_the_walk() -> None:
    broken = CLEAN[:-12] + struct.pack(">I", 2**31) + b"tEXt" + b"\x00" * 8
    decoded = decode(broken, LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN)
    assert decoded.problems[0].endswith("are not a PNG chunk; the rest is ignored")


def test_a_missing_iend_is_reported() -> None:
    decoded = decode(CLEAN[:-12], LIMITS)
    assert decoded.image.tobytes() == _bytes_of(CLEAN)
    assert decoded.problems == ("the PNG ends without an IEND chunk",)


# --- image data that stops early ------------------------------------------------------------


def _rows_png(height: int, keep_rows: int | None, *, corrupt: bool = False) -> bytes:
    """A 40-wide grey PNG of ``height`` distinct rows (filter None), optionally cut after
    ``keep_rows`` rows of its deflate stream (or with the stream corrupted there)."""
    rows = [b"\x00" + bytes([y % 256]) * 40 for y in range(height)]
    if keep_rows is None:  # stored blocks: cutting the file cuts whole rows
        stream = zlib.compress(b"".join(rows), 0)
    else:  # the first rows, flushed to a byte boundary; then nothing, or an invalid block
        packer = zlib.compressobj()
        stream = packer.compress(b"".join(rows[:keep_rows])) + packer.flush(zlib.Z_FULL_FLUSH)
        stream += b"\xff" * 16 if corrupt else b""
    ihdr = struct.pack(">IIBBBBB", 40, height, 8, 0, 0, 0, 0)
    return (
        SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", stream) + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("corrupt", [False, True])
def test_data_that_stops_early_repeats_the_last_good_row(corrupt: bool) -> None:
    decoded = decode(_rows_png(100, 70, corrupt=corrupt), LIMITS)
    pixels = np.asarray(decoded.image)
    assert [int(v) for v in pixels[:, 0]] == [*range(70), *[69] * 30]
    why = "the image data is corrupt" if corrupt else "the image data ends early"
    assert decoded.problems == (
        f"{why} after 70 of 100 rows; the last good row is repeated below it",
    )


def test_a_file_cut_inside_its_image_data_is_decoded_as_far_as_it_goes() -> None:
    data = _rows_png(100, None)
    cut = data[: data.index(b"IEND") - 4 - 4 - 41 * 20]
    decoded = decode(cut, LIMITS)
    assert decoded.image.size == (40, 100)
    assert decoded.problems[0] == "the file ends inside the 'IDAT' chunk"
    assert "of 100 rows; the last good row is repeated below it" in decoded.problems[1]


def test_less_than_half_of_the_rows_is_corrupt() -> None:
    with pytest.raises(CorruptMediaError, match="after 49 of 100 rows, too few to hash"):
        decode(_rows_png(100, 49), LIMITS)


def test_an_unknown_filter_type_stops_the_data_there() -> None:
    rows = [b"\x00" + bytes([y]) * 8 for y in range(10)]
    rows[8] = b"\x07" + rows[8][1:]
    decoded = decode(_png(8, 10, 8, 0, rows), LIMITS)
    assert [int(v) for v in np.asarray(decoded.image)[:, 0]] == [*range(8), 7, 7]
    assert decoded.problems[0].startswith("row 8 has an unknown filter type after 8 of 10")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (SIGNATURE + png_chunk(b"IEND", b""), "does not start with an IHDR chunk"),
        (CLEAN[: CLEAN.index(b"IDAT") - 4] + png_chunk(b"IEND", b""), "no image data"),
        (_png(4, 4, 8, 3, [b"\x00" * 5] * 4), "palette image without a palette"),
        (_png(4, 4, 3, 2, [b"\x00" * 5] * 4), "bit depth 3 with colour type 2 does not exist"),
    ],
)
def test_what_cannot_give_pixels_is_corrupt(data: bytes, why: str) -> None:
    with pytest.raises(CorruptMediaError, match=why):
        decode(data, LIMITS)


# --- memory and work ----------------------------------------------------------------------


def test_a_zlib_bomb_is_decoded_in_bands_never_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 8000 x 4000 image is never allocated: every image made is a band or smaller."""
    largest = 0
    real_new, real_frombytes = Image.new, Image.frombytes

    def new(mode: str, size: tuple[int, int], *args: object, **kwargs: object) -> Image.Image:
        nonlocal largest
        largest = max(largest, size[0] * size[1])
        return real_new(mode, size, *args, **kwargs)  # type: ignore[arg-type]

    def frombytes(mode: str, size: tuple[int, int], *args: object, **kw: object) -> Image.Image:
        nonlocal largest
        largest = max(largest, size[0] * size[1])
        return real_frombytes(mode, size, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Image, "new", new)
    monkeypatch.setattr(Image, "frombytes", frombytes)
    bomb = png_zlib_bomb(8000, 4000)
    assert len(bomb) < 100_000  # 96 MB of pixels
    decoded = decode(bomb, LIMITS, min_side=360, grayscale=True)
    assert decoded.image.size == (364, 364) and decoded.block == (22, 11)
    assert largest <= 2_000_000  # a band of ~4 MB of rows, not 32 million pixels


def test_a_full_decode_over_the_memory_limit_is_refused() -> None:
    bomb = png_zlib_bomb(8000, 4000)
    with pytest.raises(MediaTooLargeError) as err:
        decode(bomb, MediaLimits(max_decode_memory=64 * 1024 * 1024))
    assert "needs about" in err.value.message
    assert "AMPARO_MEDIA_MAX_DECODE_MEMORY" in (err.value.hint or "")
    reduced = decode(bomb, MediaLimits(max_decode_memory=64 * 1024 * 1024), min_side=360)
    assert reduced.block == (22, 11)  # the reduced decode needs no more than a band


def test_sixteen_bit_colour_over_the_work_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(png_module, "MAX_INFLATED", 10_000)
    rows = [b"\x00" + b"\x00" * 8 * 40] * 40  # 16-bit RGBA, 40 x 40: 2 x 12,840 bytes
    with pytest.raises(MediaTooLargeError, match="with 16-bit samples decodes to"):
        decode(_png(40, 40, 16, 6, rows), LIMITS)


def test_probe_reads_only_the_header_of_a_png() -> None:
    info = probe(SIGNATURE + CLEAN[8:33], LIMITS)  # IHDR and nothing else
    assert (info.format, info.width, info.height, info.mode) == ("PNG", 160, 120, "RGB")
