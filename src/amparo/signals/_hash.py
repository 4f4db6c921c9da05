"""Hash an image's bytes or file: MD5, SHA-256 and PDQ (optionally its 8 dihedral variants).

The byte digests never depend on decoding: once the length is accepted, MD5 and SHA-256 are
always returned, even for bytes that are no image at all. Everything that can go wrong with
the pixels (an unsupported format, corrupt data, an image over the limits, the decode
deadline) is a :class:`DecodeError` on the result, never an exception: a file on an MD5 or
SHA-256 list is found whatever an attacker did to its pixels.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, Literal, overload

from amparo.config import MediaLimits
from amparo.errors import InputError, MediaError, MediaTooLargeError, NotFoundError
from amparo.media import DecodedImage, ImageInfo, check_byte_length, decode, decode_slot, probe
from amparo.signals._pdq import (
    FAST_JPEG_MIN_SIDE,
    FAST_MIN_SIDE,
    FULL_PATH_BYTES_PER_PIXEL,
    pdq_fast,
    pdq_full,
)
from amparo.signals._pdq_kernel import DIHEDRAL_NAMES, MIN_HASHABLE_SIDE
from amparo.signals.base import DEFAULT_QUALITY_THRESHOLD, DecodeError, PdqHash, Signals

__all__ = ["hash_file", "hash_media"]

_CHUNK = 1024 * 1024
_THREADED_DIGESTS = 1024 * 1024
"""From this many bytes on, MD5 and SHA-256 run on a second thread while the image decodes
(hashlib and Pillow's decoder both release the GIL); below it a thread costs more than it
saves."""

_UNKNOWN = ImageInfo("unknown", 0, 0, "")


class _Digests(threading.Thread):
    """MD5 and SHA-256 of ``data``, computed on their own thread."""

    def __init__(self, data: bytes) -> None:
        super().__init__(name="amparo-digests", daemon=True)
        self._data = data
        self.md5 = self.sha256 = ""

    def run(self) -> None:
        self.md5 = hashlib.md5(self._data).hexdigest()
        self.sha256 = hashlib.sha256(self._data).hexdigest()


@dataclass(frozen=True)
class _Pixels:
    """What the pixel stage found: the PDQ (if any), the header facts, the decode kept."""

    pdq: PdqHash | None = None
    variants: Mapping[str, str] | None = None
    info: ImageInfo = _UNKNOWN
    error: DecodeError | None = None
    decoded: DecodedImage | None = None


def _too_large_for_every_pixel(info: ImageInfo, limits: MediaLimits) -> MediaTooLargeError:
    need = info.width * info.height * FULL_PATH_BYTES_PER_PIXEL
    return MediaTooLargeError(
        f"hashing every pixel of this {info.width:,} x {info.height:,} image needs about "
        f"{need / 2**20:,.0f} MiB, over the limit of {limits.max_decode_memory / 2**20:,.0f} "
        "MiB for one decode",
        hint="use the fast path (the default), or raise AMPARO_MEDIA_MAX_DECODE_MEMORY",
    )


def _fits_every_pixel(info: ImageInfo, limits: MediaLimits) -> bool:
    return info.width * info.height * FULL_PATH_BYTES_PER_PIXEL <= limits.max_decode_memory


def _hash_pixels(
    source: bytes | IO[bytes],
    limits: MediaLimits,
    *,
    dihedral: bool,
    fast: bool,
    keep_pixels: bool,
) -> tuple[tuple[list[str], int] | None, DecodedImage]:
    """PDQ of the image in ``source`` and the decode it came from; raises media errors."""
    if fast:
        decoded = decode(
            source,
            limits,
            min_side=FAST_MIN_SIDE,
            jpeg_min_side=FAST_JPEG_MIN_SIDE,
            grayscale=True,
            prefer_full=keep_pixels,
        )
        result = pdq_fast(decoded, dihedral=dihedral)
        if result is not None or min(decoded.info.width, decoded.info.height) < MIN_HASHABLE_SIDE:
            return result, decoded
        # Fragile: the fast hash could be several bits off; hash every pixel when that fits.
        if not _fits_every_pixel(decoded.info, limits):
            return pdq_fast(decoded, dihedral=dihedral, accept_fragile=True), decoded
        try:
            full = decoded if decoded.full_resolution else decode(source, limits)
        except MediaTooLargeError:  # the format's own decode does not fit: keep the fast hash
            return pdq_fast(decoded, dihedral=dihedral, accept_fragile=True), decoded
        return pdq_full(full.image, dihedral=dihedral), (full if keep_pixels else decoded)
    info = probe(source, limits)
    if not _fits_every_pixel(info, limits):
        raise _too_large_for_every_pixel(info, limits)
    full = decode(source, limits)
    return pdq_full(full.image, dihedral=dihedral), full


def _pixels(
    source: bytes | IO[bytes],
    limits: MediaLimits,
    *,
    dihedral: bool,
    fast: bool,
    quality_threshold: int,
    keep_pixels: bool,
) -> _Pixels:
    """The pixel stage: never raises a media error, returns it as a :class:`DecodeError`."""
    try:
        # One decode slot for the whole stage: a fallback decode never waits for a second.
        with decode_slot(limits):
            result, decoded = _hash_pixels(
                source, limits, dihedral=dihedral, fast=fast, keep_pixels=keep_pixels
            )
    except MediaError as exc:
        try:
            info = probe(source, limits)
        except MediaError:
            info = _UNKNOWN
        return _Pixels(info=info, error=DecodeError.of(exc))
    kept = decoded if keep_pixels else None
    if result is None:
        return _Pixels(info=decoded.info, decoded=kept)
    hashes, quality = result
    variants = None
    if dihedral:
        variants = MappingProxyType(dict(zip(DIHEDRAL_NAMES, hashes, strict=True)))
    pdq = PdqHash(hashes[0], quality, quality_threshold)
    return _Pixels(pdq, variants, decoded.info, None, kept)


def _signals(md5: str, sha256: str, pixels: _Pixels) -> Signals:
    info = pixels.info
    return Signals(
        md5,
        sha256,
        pixels.pdq,
        pixels.variants,
        info.width,
        info.height,
        info.format,
        pixels.error,
    )


@overload
def hash_media(
    data: bytes,
    limits: MediaLimits,
    *,
    dihedral: bool = ...,
    fast: bool = ...,
    quality_threshold: int = ...,
    keep_pixels: Literal[False] = ...,
) -> Signals: ...
@overload
def hash_media(
    data: bytes,
    limits: MediaLimits,
    *,
    dihedral: bool = ...,
    fast: bool = ...,
    quality_threshold: int = ...,
    keep_pixels: Literal[True],
) -> tuple[Signals, DecodedImage | None]: ...
def hash_media(
    data: bytes,
    limits: MediaLimits,
    *,
    dihedral: bool = False,
    fast: bool = True,
    quality_threshold: int = DEFAULT_QUALITY_THRESHOLD,
    keep_pixels: bool = False,
) -> Signals | tuple[Signals, DecodedImage | None]:
    """MD5, SHA-256 and PDQ of a file held in memory.

    Raises only for the length: :class:`EmptyMediaError` for no bytes and
    :class:`MediaTooLargeError` over ``limits.max_bytes``. Any other bytes get their MD5 and
    SHA-256; when their pixels cannot be decoded and hashed (not an image, corrupt, over the
    pixel or memory limits, the decode deadline), ``pdq`` is ``None`` and
    :attr:`Signals.decode_error` says why. Call ``signals.decode_error.raise_error()`` where
    the pixels are required.

    ``fast`` (the default) computes PDQ from a reduced decode (JPEG DCT scaling, block
    means) that stays within a few bits of the full-resolution hash and is about ten times
    quicker on large photos; where that hash would be fragile (sharp periodic patterns), it
    hashes every pixel instead, when that fits ``limits.max_decode_memory``. ``fast=False``
    hashes every stored pixel and gives exactly what ThreatExchange's ``pdq_from_bytes``
    gives (for RGB, RGBA and grey images; see :mod:`amparo.signals._pdq` for the colour modes
    where we differ on purpose); an image too large for that within the decode memory
    limit gets a ``media_too_large`` decode error. Use it for evidence that must reproduce a
    third party's hash bit for bit. ``dihedral`` adds the hashes of the 8 rotations and
    flips. ``quality_threshold`` sets :attr:`PdqHash.low_quality`.

    ``keep_pixels=True`` returns ``(signals, decoded)``: the :class:`amparo.media.DecodedImage`
    the hash was computed from (``None`` when nothing was decoded), so that a caller can
    read the same pixels again without a second decode, e.g.
    ``amparo.provenance.analyze(data, pixels=decoded)``. Formats other than JPEG are then
    decoded at full resolution when that fits the decode memory limit (it costs the same
    CPU as their reduced decode, and the hash is the same); JPEGs keep their cheaper
    DCT-scaled decode, so ``decoded.full_resolution`` is false for them. Don't mutate it.
    """
    check_byte_length(len(data), limits)
    compute = functools.partial(
        _pixels,
        data,
        limits,
        dihedral=dihedral,
        fast=fast,
        quality_threshold=quality_threshold,
        keep_pixels=keep_pixels,
    )
    if len(data) < _THREADED_DIGESTS:
        pixels = compute()
        signals = _signals(hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(), pixels)
    else:
        digests = _Digests(data)
        digests.start()
        try:
            pixels = compute()
        finally:
            digests.join()
        signals = _signals(digests.md5, digests.sha256, pixels)
    return (signals, pixels.decoded) if keep_pixels else signals


def _digest_stream(stream: IO[bytes], limit: int) -> tuple[str, str]:
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > limit:  # the file grew after we checked its size
            raise MediaTooLargeError(
                f"the file grew past the limit of {limit:,} bytes while it was read",
                hint="hash the file once it is completely written",
            )
        md5.update(chunk)
        sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


@overload
def hash_file(
    path: str | os.PathLike[str],
    limits: MediaLimits,
    *,
    dihedral: bool = ...,
    fast: bool = ...,
    quality_threshold: int = ...,
    keep_pixels: Literal[False] = ...,
) -> Signals: ...
@overload
def hash_file(
    path: str | os.PathLike[str],
    limits: MediaLimits,
    *,
    dihedral: bool = ...,
    fast: bool = ...,
    quality_threshold: int = ...,
    keep_pixels: Literal[True],
) -> tuple[Signals, DecodedImage | None]: ...
def hash_file(
    path: str | os.PathLike[str],
    limits: MediaLimits,
    *,
    dihedral: bool = False,
    fast: bool = True,
    quality_threshold: int = DEFAULT_QUALITY_THRESHOLD,
    keep_pixels: bool = False,
) -> Signals | tuple[Signals, DecodedImage | None]:
    """Like :func:`hash_media`, for a file, without holding the file in memory as bytes.

    The size is checked from ``fstat`` before anything is read; MD5 and SHA-256 are
    computed in 1 MiB chunks; then the image is decoded from the open file (memory-mapped).
    Raises :class:`NotFoundError` if there is no such file and :class:`InputError` if it
    cannot be read, besides the length errors of :func:`hash_media`; every other problem
    with the pixels is :attr:`Signals.decode_error`, as there.
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            check_byte_length(os.fstat(stream.fileno()).st_size, limits)
            md5, sha256 = _digest_stream(stream, limits.max_bytes)
            pixels = _pixels(
                stream,
                limits,
                dihedral=dihedral,
                fast=fast,
                quality_threshold=quality_threshold,
                keep_pixels=keep_pixels,
            )
    except FileNotFoundError as exc:
        raise NotFoundError(
            f"no file at {file}",
            hint="check the path (relative paths start at the current directory)",
        ) from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(
            f"cannot read {file}: {exc.strerror}",
            hint="pass a readable image file, not a directory",
        ) from exc
    signals = _signals(md5, sha256, pixels)
    return (signals, pixels.decoded) if keep_pixels else signals
