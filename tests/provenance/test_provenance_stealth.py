"""Stealth LSB payloads: whose they are (A1111, NovelAI, ComfyUI) and what breaks them.

Regression: A1111's stealth-pnginfo payload (gzip'd ``parameters`` text, not JSON) was
attributed to NovelAI as an unreadable payload.
"""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from provenance_factories import (
    decode,
    novelai_payload,
    photo_like,
    stealth_alpha,
    stealth_rgb,
)

from amparo.provenance import Evidence, analyze
from amparo.provenance._stealth import read_stealth, read_stealth_rgb

PROMPT = "a paper boat on a pond, watercolour"
A1111 = (
    f"{PROMPT}\nNegative prompt: blurry\n"
    "Steps: 24, Sampler: Euler a, CFG scale: 6, Seed: 7, Size: 320x256, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.9.4"
)
PIXELS = photo_like(320, 256, seed=17)
CAP = 1 << 20


def _generator_item(data: bytes) -> Evidence:
    report = analyze(data)
    (item,) = [e for e in report.evidence if e.type == "generator_metadata"]
    assert report.verdict == "likely_ai"
    return item


@pytest.mark.parametrize(
    ("magic", "payload"),
    [(b"stealth_pngcomp", gzip.compress(A1111.encode())), (b"stealth_pnginfo", A1111.encode())],
    ids=["pngcomp", "pnginfo"],
)
def test_a1111_alpha_payload_is_a1111_with_its_model(magic: bytes, payload: bytes) -> None:
    item = _generator_item(stealth_alpha(PIXELS, payload, magic=magic))
    assert item.source == "alpha channel LSB (stealth pnginfo)"
    assert (item.generator, item.model, item.problem) == (
        "Stable Diffusion WebUI (Automatic1111)",
        "sd_xl_base_1.0",
        None,
    )
    assert item.attributes["Model hash"] == "31e35c80fc"
    assert item.detail.endswith("hidden in the alpha channel")
    assert item.prompt is not None and PROMPT in item.prompt
    assert PROMPT not in item.detail and PROMPT not in repr(item)
    assert PROMPT not in json.dumps(item.to_dict())


def test_forge_alpha_payload_is_forge() -> None:
    text = A1111.replace("Version: v1.9.4", "Version: f2.0.1v1.10.1-previous-313")
    data = stealth_alpha(PIXELS, gzip.compress(text.encode()), magic=b"stealth_pngcomp")
    assert _generator_item(data).generator == "Stable Diffusion WebUI Forge"


def test_a1111_text_without_a_settings_line_is_still_a1111() -> None:
    data = stealth_alpha(PIXELS, b"just a prompt", magic=b"stealth_pnginfo")
    item = _generator_item(data)
    assert item.generator == "Stable Diffusion WebUI (Automatic1111)"
    assert "settings line missing" in item.detail
    assert item.prompt == "just a prompt"


def test_novelai_json_payload_stays_novelai() -> None:
    payload = novelai_payload("NovelAI Diffusion V4 5B2A9E2C", PROMPT)
    item = _generator_item(stealth_alpha(PIXELS, payload, magic=b"stealth_pngcomp"))
    assert (item.generator, item.model, item.prompt) == (
        "NovelAI",
        "NovelAI Diffusion V4 5B2A9E2C",
        PROMPT,
    )
    assert (
        item.detail
        == "NovelAI stealth metadata in the alpha channel (model NovelAI Diffusion V4 5B2A9E2C)"
    )


def test_comfyui_stealth_json_is_comfyui() -> None:
    # The ComfyUI port stores its graph and workflow as JSON strings in one JSON object.
    graph = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "flux1-dev.sft"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": PROMPT}},
    }
    payload = json.dumps({"prompt": json.dumps(graph), "workflow": json.dumps({"nodes": []})})
    item = _generator_item(
        stealth_alpha(PIXELS, gzip.compress(payload.encode()), magic=b"stealth_pngcomp")
    )
    assert (item.generator, item.model, item.prompt) == ("ComfyUI", "flux1-dev.sft", PROMPT)
    assert item.source == "alpha channel LSB (stealth pnginfo)"


@pytest.mark.parametrize(
    ("magic", "payload", "length_bits", "why"),
    [
        (b"stealth_pngcomp", b"\x1f\x8b not gzip at all" * 4, None, "not valid gzip"),
        (b"stealth_pngcomp", gzip.compress(b"\xff\xfe\x00 binary"), None, "neither JSON nor text"),
        (b"stealth_pnginfo", b"\x00\x01\x02 control bytes \x03", None, "neither JSON nor text"),
        (b"stealth_pnginfo", b"   \n  ", None, "neither JSON nor text"),
        (b"stealth_pnginfo", b"[1, 2, 3]", None, "JSON but not an object"),
        (b"stealth_pnginfo", b"x" * 8, 10**9, "does not fit the image"),
        (b"stealth_pnginfo", b"x" * 8, 0, "does not fit the image"),
    ],
    ids=["not-gzip", "gzip-binary", "control-bytes", "blank", "json-list", "too-long", "zero"],
)
def test_broken_payload_is_likely_ai_without_a_generator(
    magic: bytes, payload: bytes, length_bits: int | None, why: str
) -> None:
    item = _generator_item(stealth_alpha(PIXELS, payload, magic=magic, length_bits=length_bits))
    assert item.generator is None
    assert item.problem in ("unreadable_payload", "bad_length")
    assert why in item.detail and item.detail.startswith("stealth header present")


def _alpha(png: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))[:, :, 3]


@pytest.mark.parametrize(("size", "why"), [(5000, "inflates past"), (1500, "over the 1000 cap")])
def test_payload_over_the_cap(size: int, why: str) -> None:
    payload = gzip.compress(b"a" * 5000) if size == 5000 else b"a" * size
    magic = b"stealth_pngcomp" if size == 5000 else b"stealth_pnginfo"
    item = read_stealth(_alpha(stealth_alpha(PIXELS, payload, magic=magic)), max_bytes=1000)
    assert item is not None and (item.problem, item.generator) == ("too_large", None)
    assert why in item.detail


# ---------------------------------------------------------------- RGB form


@pytest.mark.parametrize(
    ("magic", "payload"),
    [(b"stealth_rgbcomp", gzip.compress(A1111.encode())), (b"stealth_rgbinfo", A1111.encode())],
    ids=["rgbcomp", "rgbinfo"],
)
def test_a1111_rgb_payload(magic: bytes, payload: bytes) -> None:
    rgb = decode(stealth_rgb(PIXELS, payload, magic=magic))
    item = read_stealth_rgb(rgb, max_bytes=CAP)
    assert item is not None
    assert (item.source, item.generator, item.model) == (
        "RGB LSB (stealth rgbinfo)",
        "Stable Diffusion WebUI (Automatic1111)",
        "sd_xl_base_1.0",
    )
    assert item.detail.endswith("hidden in the RGB least significant bits")
    assert item.prompt is not None and PROMPT in item.prompt


def test_rgb_and_alpha_magics_do_not_cross() -> None:
    rgb_marked = decode(stealth_rgb(PIXELS, A1111.encode(), magic=b"stealth_rgbinfo"))
    assert read_stealth(np.ascontiguousarray(rgb_marked[:, :, 0]), max_bytes=CAP) is None
    # an alpha magic written into the RGB bits is not the RGB form
    wrong = decode(stealth_rgb(PIXELS, A1111.encode(), magic=b"stealth_pnginfo"))
    assert read_stealth_rgb(wrong, max_bytes=CAP) is None


def test_rgb_payload_with_a_length_past_the_image() -> None:
    tiny = PIXELS[:8, :8]
    marked = decode(stealth_rgb(tiny, b"", magic=b"stealth_rgbinfo"))
    # declare more bits than 8x8x3 holds
    item = read_stealth_rgb(_with_rgb_length(marked, 10_000), max_bytes=CAP)
    assert item is not None and item.problem == "bad_length"


def _with_rgb_length(rgb: NDArray[np.uint8], length_bits: int) -> NDArray[np.uint8]:
    height, width = rgb.shape[:2]
    stream = rgb.transpose(1, 0, 2).reshape(-1).copy()
    bits = np.unpackbits(np.frombuffer(length_bits.to_bytes(4, "big"), dtype=np.uint8))
    stream[120:152] = (stream[120:152] & 0xFE) | bits
    return np.ascontiguousarray(stream.reshape(width, height, 3).transpose(1, 0, 2))


def test_plain_pixels_have_no_stealth_payload() -> None:
    assert read_stealth_rgb(PIXELS, max_bytes=CAP) is None
    assert read_stealth(np.full(PIXELS.shape[:2], 255, dtype=np.uint8), max_bytes=CAP) is None
    assert read_stealth_rgb(PIXELS[:4, :4], max_bytes=CAP) is None  # too small for a header
