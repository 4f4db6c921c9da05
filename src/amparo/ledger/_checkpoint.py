"""C2SP tlog-checkpoint bodies: ``<origin>\\n<size>\\n<base64 root>\\n[extension lines]``."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from amparo.ledger._note import NoteError

__all__ = ["Checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement of its size and root hash (the note text, unsigned)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The checkpoint body exactly as it is signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (the verified text of a note); raise :class:`NoteError`."""
        if not text.endswith("\n"):
            raise NoteError("checkpoint does not end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not lines[0]:
            raise NoteError("checkpoint needs an origin, a size and a root hash line")
        origin, size_s, root_s, *ext = lines
        if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
            raise NoteError(f"checkpoint size {size_s!r} is not a decimal without leading zeros")
        try:
            root = base64.b64decode(root_s, validate=True)
        except binascii.Error:
            raise NoteError("checkpoint root hash is not base64") from None
        if len(root) != 32:
            raise NoteError(f"checkpoint root hash has {len(root)} bytes, not 32")
        if any(not e for e in ext):
            raise NoteError("checkpoint has an empty extension line")
        return cls(origin, int(size_s), root, tuple(ext))
