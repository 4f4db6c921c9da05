"""Helpers for policy tests that touch the database."""

from __future__ import annotations

import io
import json
from typing import Any

from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from amparo.media import synthetic
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow

BLOCK_CHAT = """name = "chat-first"

[[rules]]
name = "chat"
[rules.when]
surface = "chat"
[rules.then]
quarantine = true

[[rules]]
name = "default"
[rules.then]
allow = true
"""


def ledger_records(amparo: Amparo, kind: str) -> list[dict[str, Any]]:
    """The data of every ledger entry of ``kind``, oldest first."""
    with amparo.session() as s:
        rows = s.scalars(
            select(LedgerEntryRow).where(LedgerEntryRow.kind == kind).order_by(LedgerEntryRow.id)
        ).all()
    return [json.loads(r.record)["data"] for r in rows]


def photo(seed: int = 1) -> bytes:
    """A benign synthetic JPEG."""
    return synthetic.encode(synthetic.make("photo_like", 320, 240, seed=seed), "JPEG")


def ai_png() -> bytes:
    """A benign PNG with generator metadata as Stable Diffusion web UIs write it."""
    meta = PngInfo()
    meta.add_text("parameters", "a lighthouse\nSteps: 20, Sampler: Euler a, Model: demo")
    buf = io.BytesIO()
    synthetic.make("shapes", 320, 240, seed=1).save(buf, "PNG", pnginfo=meta)
    return buf.getvalue()
