"""Provenance inside scans: verdict in the response, prompts only in the scan record."""

from __future__ import annotations

import io

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from amparo.media import synthetic
from amparo.runtime import Amparo
from amparo.store import ScanRow
from amparo.usecases import scan_media

PROMPT = "a watercolour lighthouse at dawn"


def _a1111_png() -> bytes:
    meta = PngInfo()
    meta.add_text("parameters", f"{PROMPT}\nSteps: 20, Sampler: Euler a, Model: demo-model")
    buf = io.BytesIO()
    synthetic.make("shapes", 320, 240, seed=1).save(buf, "PNG", pnginfo=meta)
    return buf.getvalue()


def test_scan_reports_provenance_and_keeps_prompt_in_record_only(amparo: Amparo) -> None:
    result = scan_media(amparo, _a1111_png(), filename="gen.png")
    assert result.provenance is not None and result.provenance.verdict == "likely_ai"
    assert PROMPT not in str(result.to_dict())
    with amparo.session() as s:
        row = s.scalars(select(ScanRow).where(ScanRow.id == result.scan_id)).one()
    assert row.provenance is not None and row.provenance["verdict"] == "likely_ai"
    assert PROMPT in str(row.provenance)


def test_plain_image_has_no_ai_signal(amparo: Amparo) -> None:
    data = synthetic.encode(synthetic.make("photo_like", 320, 240, seed=2), "JPEG")
    result = scan_media(amparo, data)
    assert result.provenance is not None and result.provenance.verdict == "no_ai_signal"


def test_provenance_can_be_skipped(amparo: Amparo) -> None:
    result = scan_media(amparo, _a1111_png(), with_provenance=False)
    assert result.provenance is None and result.to_dict()["provenance"] is None


def test_stripped_copy_loses_the_metadata_signal(amparo: Amparo) -> None:
    stripped = io.BytesIO()
    Image.open(io.BytesIO(_a1111_png())).save(stripped, "PNG")
    result = scan_media(amparo, stripped.getvalue())
    assert result.provenance is not None and result.provenance.verdict == "no_ai_signal"
