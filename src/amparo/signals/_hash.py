"""Hash an image's bytes or file: MD5, SHA-256 and PDQ (optionally its 8 dihedral variants)."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO

from amparo.config import MediaLimits
from amparo.errors import InputError, MediaTooLargeError, NotFoundError
from amparo.media import ImageInfo, check_byte_length, decode
from amparo.signals._pdq import FAST_JPEG_MIN_SIDE, pdq_fast, pdq_full
from amparo.signals._pdq_kernel import DIHEDRAL_NAMES
from amparo.signals.base import DEFAULT_QUALITY_THRESHOLD, PdqHash, Signals

__all__ = ["hash_file", "hash_media"]

_CHUNK = 1024 * 1024
_THREADED_DIGESTS = 1024 * 1024
"""From this many bytes on, MD5 and SHA-256 run on a second thread while the image decodes
(hashlib and Pillow's decoder both release the GIL); below it a thread costs more than it
saves."""


class _Digests(threading.Thread):
    """MD5 and SHA-256 of ``data``, computed on their own thread."""

    def __init__(self, data: bytes) -> None:
        super().__init__(name="amparo-digests", daemon=True)
        self._data = data
        self.md5 = self.sha256 = ""

    def run(self) -> None:
        self.md5 = hashlib.md5(self._data).hexdigest()
        self.sha256 = hashlib.sha256(self._data).hexdigest()


_Pdq = tuple[PdqHash | None, Mapping[str, str] | None, ImageInfo]


def _pdq(
    source: bytes | IO[bytes],
    limits: MediaLimits,
    *,
    dihedral: bool,
    fast: bool,
    quality_threshold: int,
) -> _Pdq:
    decoded = decode(source, limits, min_side=FAST_JPEG_MIN_SIDE if fast else None, grayscale=fast)
    result = pdq_fast(decoded, dihedral=dihedral) if fast else None
    if result is None:  # asked for, or the fast path has no trustworthy answer: every pixel
        if decoded.scale != 1 or decoded.image.mode != decoded.info.mode:
            decoded = decode(source, limits)
        result = pdq_full(decoded.image, dihedral=dihedral)
    if result is None:
        return None, None, decoded.info
    hashes, quality = result
    variants = None
    if dihedral:
        variants = MappingProxyType(dict(zip(DIHEDRAL_NAMES, hashes, strict=True)))
    return PdqHash(hashes[0], quality, quality_threshold), variants, decoded.info


def _signals(md5: str, sha256: str, pdq: _Pdq) -> Signals:
    hash_, variants, info = pdq
    return Signals(md5, sha256, hash_, variants, info.width, info.height, info.format)


def hash_media(
    data: bytes,
    limits: MediaLimits,
    *,
    dihedral: bool = False,
    fast: bool = True,
    quality_threshold: int = DEFAULT_QUALITY_THRESHOLD,
) -> Signals:
    """MD5, SHA-256 and PDQ of an image held in memory.

    ``fast`` (the default) computes PDQ from a reduced decode (JPEG DCT scaling, block
    means) that stays within a few bits of the full-resolution hash and is about ten times
    quicker on large photos; where that hash would be fragile (sharp periodic patterns), it
    hashes every pixel instead. ``fast=False`` hashes every stored pixel and gives exactly what
    ThreatExchange's ``pdq_from_bytes`` gives (for RGB, RGBA and grey images; see
    :mod:`amparo.signals._pdq` for the colour modes where we differ on purpose). Use it for
    evidence that must reproduce a third party's hash bit for bit. ``dihedral`` adds the
    hashes of the 8 rotations and flips. ``quality_threshold`` sets
    :attr:`PdqHash.low_quality`.

    Limits are checked before decoding; errors are :class:`amparo.errors.MediaError` s.
    """
    check_byte_length(len(data), limits)
    compute = functools.partial(
        _pdq, data, limits, dihedral=dihedral, fast=fast, quality_threshold=quality_threshold
    )
    if len(data) < _THREADED_DIGESTS:
        pdq = compute()
        return _signals(hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(), pdq)
    digests = _Digests(data)
    digests.start()
    try:
        pdq = compute()
    finally:
        digests.join()
    return _signals(digests.md5, digests.sha256, pdq)


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


def hash_file(
    path: str | os.PathLike[str],
    limits: MediaLimits,
    *,
    dihedral: bool = False,
    fast: bool = True,
    quality_threshold: int = DEFAULT_QUALITY_THRESHOLD,
) -> Signals:
    """Like :func:`hash_media`, for a file, without holding the file in memory as bytes.

    The size is checked from ``fstat`` before anything is read; MD5 and SHA-256 are
    computed in 1 MiB chunks; then the image is decoded from the open file. Raises
    :class:`NotFoundError` if there is no such file and :class:`InputError` if it cannot be
    read, besides the media errors of :func:`hash_media`.
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            check_byte_length(os.fstat(stream.fileno()).st_size, limits)
            md5, sha256 = _digest_stream(stream, limits.max_bytes)
            pdq = _pdq(
                stream,
                limits,
                dihedral=dihedral,
                fast=fast,
                quality_threshold=quality_threshold,
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
    return _signals(md5, sha256, pdq)
