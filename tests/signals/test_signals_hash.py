"""hash_media / hash_file: digests, the Signals value, files, limits and small images."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import amparo.signals
from amparo.config import MediaLimits
from amparo.errors import (
    EmptyMediaError,
    InputError,
    InvalidSignalError,
    MediaTooLargeError,
    NotFoundError,
    UnsupportedFormatError,
)
from amparo.signals import DIHEDRAL_NAMES, PdqHash, Signals, hash_file, hash_media
from imagefactory import encode, image_bytes, photo_like

LIMITS = MediaLimits()


def test_public_api_is_complete() -> None:
    for name in amparo.signals.__all__:
        assert hasattr(amparo.signals, name), name


@pytest.mark.parametrize("size", [(120, 90), (1800, 1400)])  # small, and over 1 MiB (threaded)
def test_digests_are_of_the_exact_bytes(size: tuple[int, int]) -> None:
    data = image_bytes("noise", *size, fmt="PNG")
    signals = hash_media(data, LIMITS)
    assert signals.md5 == hashlib.md5(data).hexdigest()
    assert signals.sha256 == hashlib.sha256(data).hexdigest()
    assert (signals.width, signals.height, signals.format) == (*size, "PNG")


def test_to_dict_is_json_ready() -> None:
    signals = hash_media(image_bytes("shapes", fmt="JPEG"), LIMITS, dihedral=True)
    body = json.loads(json.dumps(signals.to_dict()))
    assert set(body) == {
        "md5", "sha256", "pdq", "pdq_dihedral", "width", "height", "format", "decode_error"
    }  # fmt: skip
    assert set(body["pdq"]) == {"hash", "quality", "low_quality"}
    assert list(body["pdq_dihedral"]) == list(DIHEDRAL_NAMES)
    assert body["format"] == "JPEG" and body["decode_error"] is None


def test_to_dict_of_undecodable_bytes_keeps_every_key_and_shape() -> None:
    body = json.loads(json.dumps(hash_media(b"%PDF-1.7\n", LIMITS, dihedral=True).to_dict()))
    assert body["pdq"] is None and body["pdq_dihedral"] is None
    assert (body["width"], body["height"], body["format"]) == (0, 0, "unknown")
    assert body["decode_error"]["code"] == "unsupported_format"
    assert "PDF" in body["decode_error"]["message"] and body["decode_error"]["hint"]


def test_no_dihedral_unless_asked() -> None:
    assert hash_media(image_bytes(), LIMITS).pdq_dihedral is None


def test_images_under_5_pixels_a_side_have_no_pdq() -> None:
    tiny = hash_media(image_bytes("shapes", 4, 30), LIMITS)
    assert tiny.pdq is None and tiny.to_dict()["pdq"] is None
    assert hash_media(image_bytes("shapes", 5, 5), LIMITS).pdq is not None


def test_low_quality_follows_the_threshold() -> None:
    flat = image_bytes("gradient", 200, 200)
    signals = hash_media(flat, LIMITS)
    assert signals.pdq is not None and signals.pdq.low_quality
    lenient = hash_media(flat, LIMITS, quality_threshold=0).pdq
    assert lenient is not None and not lenient.low_quality
    assert lenient == signals.pdq  # the threshold is not part of the value


def test_pdq_hash_validates() -> None:
    with pytest.raises(InvalidSignalError):
        PdqHash("AB" * 32, 100)
    with pytest.raises(InvalidSignalError):
        PdqHash("ab" * 32, 101)
    value = PdqHash("ab" * 32, 80)
    assert str(value) == "ab" * 32 and value.distance("ab" * 32) == 0


def test_signals_are_frozen() -> None:
    signals = hash_media(image_bytes(), LIMITS, dihedral=True)
    assert isinstance(signals, Signals)
    with pytest.raises(AttributeError):
        signals.md5 = "0"  # type: ignore[misc]
    with pytest.raises(TypeError):
        signals.pdq_dihedral["original"] = "0"  # type: ignore[index]


def test_hash_file_equals_hash_media(tmp_path: Path) -> None:
    data = encode(photo_like(1400, 1000, seed=1), "JPEG", quality=90)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    for fast in (True, False):
        assert hash_file(path, LIMITS, fast=fast, dihedral=True) == hash_media(
            data, LIMITS, fast=fast, dihedral=True
        )


def test_hash_file_refuses_a_2_gib_file_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as file:
        file.truncate(2 * 1024**3)  # sparse: no disk, no reading
    with pytest.raises(MediaTooLargeError):
        hash_file(path, LIMITS)


def test_hash_file_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        hash_file(tmp_path / "missing.png", LIMITS)
    with pytest.raises(InputError):
        hash_file(tmp_path, LIMITS)
    empty = tmp_path / "empty.png"
    empty.touch()
    with pytest.raises(EmptyMediaError):
        hash_file(empty, LIMITS)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    signals = hash_file(text, LIMITS)  # not an image: still its digests
    assert signals.sha256 == hashlib.sha256(b"not an image").hexdigest()
    assert signals.pdq is None and signals.decode_error is not None
    with pytest.raises(UnsupportedFormatError):
        signals.decode_error.raise_error()


def test_hash_file_keeps_the_decode_when_asked(tmp_path: Path) -> None:
    data = image_bytes("shapes", 300, 200, fmt="PNG")
    path = tmp_path / "shapes.png"
    path.write_bytes(data)
    signals, decoded = hash_file(path, LIMITS, keep_pixels=True)
    assert signals == hash_media(data, LIMITS)
    assert decoded is not None and decoded.full_resolution and decoded.image.size == (300, 200)
