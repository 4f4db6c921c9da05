"""The container walk over TIFF and ISO BMFF: formats, C2PA stores, XMP, and damage."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provenance_factories import (
    box,
    c2pa_uuid_box,
    encode,
    ftyp,
    minimal_heic,
    minimal_mp4,
    photo_like,
    tiff_with_xmp,
    top_level_boxes,
    xmp,
)

from amparo.provenance import analyze
from amparo.provenance._containers import Container, read_container

PIXELS = photo_like(64, 48, seed=4)
PACKET = xmp('dcterms:provenance="self#jumbf=/c2pa/urn:c2pa:0000"')
CAP = 1 << 20


def _walk(data: bytes, cap: int = CAP) -> Container:
    return read_container(data, max_text_bytes=cap)


def _with_c2pa_box(data: bytes, purpose: bytes) -> bytes:
    """``data`` with a C2PA uuid box right after ftyp, where C2PA writers put it."""
    boxes = top_level_boxes(data)
    return boxes[0][1] + c2pa_uuid_box(purpose, b"jumb") + b"".join(raw for _, raw in boxes[1:])


@pytest.mark.parametrize(
    ("file_type", "fmt"),
    [
        (ftyp(b"isom", b"isom", b"mp41"), "mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "mp4"),
        (ftyp(b"qt  ", b"qt  "), "mov"),
        (ftyp(b"M4A ", b"M4A ", b"isom"), "m4a"),
        (ftyp(b"heic", b"mif1", b"heic"), "heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "heic"),
        (ftyp(b"mif1", b"mif1", b"miaf"), "heif"),
        (ftyp(b"avif", b"mif1", b"avif"), "avif"),
        (ftyp(b"mif1", b"avif", b"mif1"), "avif"),
    ],
    ids=["isom", "mp42", "qt", "m4a", "heic", "mif1-heic", "mif1", "avif", "mif1-avif"],
)
def test_bmff_format_comes_from_the_brands(file_type: bytes, fmt: str) -> None:
    container = _walk(file_type + box(b"mdat", b"\0" * 8))
    assert (container.format, container.problems, container.c2pa_store) == (fmt, (), False)


@pytest.mark.parametrize("purpose", [b"manifest", b"original", b"update"])
def test_bmff_c2pa_store_box(purpose: bytes) -> None:
    assert _walk(_with_c2pa_box(minimal_mp4(), purpose)).c2pa_store


def test_bmff_merkle_box_alone_is_not_a_store() -> None:
    assert not _walk(_with_c2pa_box(minimal_mp4(), b"merkle")).c2pa_store


def test_bmff_c2pa_box_without_purpose_is_damage() -> None:
    boxes = top_level_boxes(minimal_mp4())
    broken = box(b"uuid", bytes.fromhex("d8fec3d61b0e483c92975828877ec481") + b"\0\0\0\0" + b"x")
    container = _walk(boxes[0][1] + broken + b"".join(raw for _, raw in boxes[1:]))
    assert not container.c2pa_store
    assert container.problems == ("ISO BMFF C2PA box has no purpose",)


def test_bmff_xmp_in_uuid_box_and_in_quicktime_udta() -> None:
    (uuid_packet,) = _walk(minimal_mp4(xmp_packet=PACKET)).xmp
    assert (uuid_packet.source, uuid_packet.data) == ("ISO BMFF XMP uuid box", PACKET)
    (udta_packet,) = _walk(minimal_mp4(major=b"qt  ", udta_xmp=PACKET)).xmp
    assert (udta_packet.source, udta_packet.data) == ("QuickTime udta XMP_", PACKET)


def test_heif_xmp_item_is_found_by_the_byte_search() -> None:
    # HEIF keeps XMP as an item (in mdat or idat), which the walk does not resolve.
    data = minimal_heic() + box(b"mdat", PACKET)
    (packet,) = _walk(data).xmp
    assert packet.source == "embedded XMP packet"


def test_bmff_xmp_over_the_cap_is_reported_not_read() -> None:
    container = _walk(minimal_mp4(xmp_packet=PACKET), cap=100)
    assert container.xmp == ()
    (item,) = container.oversized
    assert (item.key, item.size, item.source) == ("xmp", len(PACKET), "ISO BMFF XMP uuid box")


def test_bmff_64_bit_and_to_the_end_sizes() -> None:
    large = struct.pack(">I4sQ", 1, b"free", 16 + 4) + b"abcd"
    to_end = struct.pack(">I4s", 0, b"mdat") + b"\0" * 32
    container = _walk(ftyp(b"isom") + large + c2pa_uuid_box(b"manifest") + to_end)
    assert (container.format, container.problems, container.c2pa_store) == ("mp4", (), True)


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        (struct.pack(">I4s", 4, b"free"), "ISO BMFF box 'free' has an impossible size (4)"),
        (struct.pack(">I4s", 1000, b"mdat") + b"\0" * 10, "ISO BMFF box 'mdat' is truncated"),
        (struct.pack(">I4s", 1, b"mdat") + b"\0\0", "ISO BMFF box 'mdat' is truncated"),
        (struct.pack(">I4sQ", 1, b"free", 8), "ISO BMFF box 'free' has an impossible size (8)"),
        (b"\0\0\0", "ISO BMFF box header is truncated"),
    ],
    ids=["size-4", "past-end", "short-largesize", "largesize-8", "short-header"],
)
def test_damaged_bmff_is_a_recorded_problem(tail: bytes, problem: str) -> None:
    data = ftyp(b"isom") + c2pa_uuid_box(b"manifest") + tail
    container = _walk(data)
    assert container.problems == (problem,)
    assert container.c2pa_store  # what was read before the damage still counts


def test_truncated_bmff_inside_moov() -> None:
    moov = box(b"moov", struct.pack(">I4s", 500, b"udta"))
    container = _walk(ftyp(b"qt  ") + moov)
    assert (container.format, container.problems) == ("mov", ("ISO BMFF box 'udta' is truncated",))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, 400), edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255))))
def test_any_damage_to_bmff_never_raises(cut: int, edits: list[tuple[int, int]]) -> None:
    data = bytearray(_with_c2pa_box(minimal_mp4(xmp_packet=PACKET), b"manifest"))
    for position, value in edits:
        data[position % len(data)] = value
    damaged = bytes(data[: len(data) - cut])
    _walk(damaged)
    assert analyze(damaged).verdict in ("declared_ai", "likely_ai", "no_ai_signal", "stripped")


# ---------------------------------------------------------------- TIFF


def test_tiff_xmp_tag_is_read() -> None:
    container = _walk(tiff_with_xmp(PIXELS, PACKET))
    assert (container.format, container.problems, container.c2pa_store) == ("tiff", (), False)
    (packet,) = container.xmp
    assert (packet.source, packet.data) == ("TIFF XMP tag", PACKET)


def _tiff(
    entries: list[tuple[int, int, int, bytes]], *, next_ifd: int = 0, big: bool = False
) -> bytes:
    """A little-endian TIFF with one IFD at offset 8 (16 for BigTIFF); values out of line
    follow the IFD. ``entries`` are (tag, type, count, value bytes)."""
    word, entry_size, count_size = ("Q", 20, 8) if big else ("I", 12, 4)
    head = b"II+\0" + struct.pack("<HHQ", 8, 0, 16) if big else b"II*\0" + struct.pack("<I", 8)
    ifd_at = len(head)
    data_at = ifd_at + (8 if big else 2) + entry_size * len(entries) + count_size
    table, blobs = b"", b""
    for tag, kind, count, value in entries:
        if len(value) <= count_size:
            slot = value.ljust(count_size, b"\0")
        else:
            slot = struct.pack("<" + word, data_at + len(blobs))
            blobs += value
        table += struct.pack("<HH" + word, tag, kind, count) + slot
    count_field = struct.pack("<Q" if big else "<H", len(entries))
    return head + count_field + table + struct.pack("<" + word, next_ifd) + blobs


@pytest.mark.parametrize("big", [False, True])
def test_tiff_c2pa_tag_and_xmp_classic_and_bigtiff(big: bool) -> None:
    data = _tiff([(700, 7, len(PACKET), PACKET), (0xCD41, 7, 4, b"jumb")], big=big)
    container = _walk(data)
    assert (container.format, container.problems, container.c2pa_store) == ("tiff", (), True)
    assert [packet.data for packet in container.xmp] == [PACKET]


def test_tiff_c2pa_tag_in_the_last_ifd() -> None:
    # c2pa-rs writes the store's tag into the last page's IFD; older files used the first.
    first = _tiff([(256, 3, 1, b"\x40\0")], next_ifd=0)
    second_at = len(first)
    linked = _tiff([(256, 3, 1, b"\x40\0")], next_ifd=second_at)
    second = struct.pack("<H", 1) + struct.pack("<HHII", 0xCD41, 7, 4, 0) + struct.pack("<I", 0)
    assert _walk(linked + second).c2pa_store
    assert not _walk(first).c2pa_store
    assert not _walk(encode(PIXELS, "TIFF")).c2pa_store


TRUNCATED_IFD = "TIFF IFD is truncated or has too many entries"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"II*\0", "TIFF header is truncated"),
        (b"II*\0" + struct.pack("<I", 5000), "TIFF IFD offset points outside the file"),
        (b"II*\0" + struct.pack("<IH", 8, 3) + b"\0" * 10, TRUNCATED_IFD),
        (b"II*\0" + struct.pack("<IH", 8, 60000) + b"\0" * 64, TRUNCATED_IFD),
        (b"II*\0" + struct.pack("<IHI", 8, 0, 8), "TIFF IFD chain loops"),
    ],
    ids=["short-header", "ifd-outside", "short-ifd", "too-many-entries", "loop"],
)
def test_damaged_tiff_is_a_recorded_problem(data: bytes, problem: str) -> None:
    container = _walk(data)
    assert (container.format, container.problems) == ("tiff", (problem,))
    assert analyze(data).verdict == "no_ai_signal"


def test_tiff_xmp_tag_pointing_outside_the_file() -> None:
    data = bytearray(_tiff([(700, 1, len(PACKET), PACKET)]))
    data[8 + 2 + 8 : 8 + 2 + 12] = struct.pack("<I", 10**6)
    container = _walk(bytes(data) + b"\0")
    assert container.problems == ("TIFF XMP tag points outside the file",)
    # the packet's bytes are still in the file: the byte search finds them
    assert [packet.source for packet in container.xmp] == ["embedded XMP packet"]


def test_tiff_xmp_tag_of_the_wrong_type() -> None:
    container = _walk(_tiff([(700, 2, len(PACKET), PACKET)]))
    assert container.problems == ("TIFF XMP tag has type 2, not bytes",)
    assert [packet.source for packet in container.xmp] == ["embedded XMP packet"]


def test_tiff_with_too_many_ifds() -> None:
    # 2001 empty IFDs, each pointing at the next.
    ifds = b"".join(struct.pack("<HI", 0, 8 + 6 * (i + 1) if i < 2000 else 0) for i in range(2001))
    container = _walk(b"II*\0" + struct.pack("<I", 8) + ifds)
    assert container.problems == ("TIFF has over 2000 IFDs; the rest were not read",)


def test_tiff_xmp_over_the_cap() -> None:
    container = _walk(tiff_with_xmp(PIXELS, PACKET), cap=64)
    assert container.xmp == ()
    assert [(item.key, item.source) for item in container.oversized] == [("xmp", "TIFF XMP tag")]
