"""One image's bytes, readable both ways the decoders need: random access and as a file.

Our own parsers (PNG chunks, JPEG markers, BMP runs) slice a :class:`memoryview`; Pillow
reads a file object. For bytes both share the caller's buffer; for an open file the view is
a read-only memory map, so a 100 MB file is never copied into the process's memory.
"""

from __future__ import annotations

import io
import mmap
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO

from amparo.config import MediaLimits
from amparo.errors import EmptyMediaError
from amparo.media._limits import check_byte_length

__all__ = ["Source", "open_source"]


@dataclass(frozen=True, eq=False)
class Source:
    """``view``: every byte of the image; ``file()``: a binary file over the same bytes."""

    view: memoryview
    _file: IO[bytes]

    def file(self) -> IO[bytes]:
        """The file object, rewound: Pillow's plugins read from it."""
        self._file.seek(0)
        return self._file


def _empty() -> EmptyMediaError:
    return EmptyMediaError(
        "the media is empty (0 bytes)",
        hint="send the file's contents; check that the upload or path is the right one",
    )


@contextmanager
def open_source(source: bytes | IO[bytes], limits: MediaLimits) -> Iterator[Source]:
    """A :class:`Source` over ``source``, valid inside the ``with`` block.

    Bytes are checked against ``limits.max_bytes`` here; for a file, the caller checks its
    size first (from ``fstat``, before reading it). Raises :class:`EmptyMediaError` for no
    bytes and :class:`MediaTooLargeError` for bytes over the limit.
    """
    with ExitStack() as stack:
        if isinstance(source, bytes | bytearray | memoryview):
            check_byte_length(len(source), limits)
            data = bytes(source) if not isinstance(source, bytes) else source
            view = stack.enter_context(memoryview(data))
            yield Source(view, io.BytesIO(data))
            return
        if isinstance(source, io.BytesIO):
            view = stack.enter_context(source.getbuffer())
            if not len(view):
                raise _empty()
            yield Source(view, source)
            return
        try:
            fileno = source.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            fileno = -1
        if fileno < 0:  # a file-like object without a file: read it once
            source.seek(0)
            data = source.read()
            if not data:
                raise _empty()
            view = stack.enter_context(memoryview(data))
            yield Source(view, io.BytesIO(data))
            return
        source.seek(0, io.SEEK_END)
        if not source.tell():
            raise _empty()
        mapped = stack.enter_context(mmap.mmap(fileno, 0, access=mmap.ACCESS_READ))
        view = stack.enter_context(memoryview(mapped))
        yield Source(view, source)
