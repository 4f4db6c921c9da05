"""Generator metadata: each tool's format, written by the test onto benign images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from provenance_factories import (
    encode,
    novelai_payload,
    photo_like,
    png_with_text,
    stealth_alpha,
    user_comment,
    with_exif,
)

from amparo.provenance import Evidence, ProvenanceReport, analyze

PROMPT = "a small red cube on a wooden table, studio light"
A1111 = (
    f"{PROMPT}\nNegative prompt: blurry, low quality\n"
    "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 42, Size: 384x320, "
    'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: "x: 1", Version: v1.7.0'
)


def _only(report: ProvenanceReport, kind: str = "generator_metadata") -> Evidence:
    items = [item for item in report.evidence if item.type == kind and item.indicates != "none"]
    assert len(items) == 1, report.evidence
    return items[0]


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    return photo_like()


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt"])
def test_a1111_parameters_in_png_text(pixels: np.ndarray, kind: str) -> None:
    report = analyze(png_with_text(pixels, {"parameters": A1111}, kind))
    item = _only(report)
    assert report.verdict == "likely_ai"
    assert item.generator == "Stable Diffusion WebUI (Automatic1111)"
    assert item.model == "v1-5-pruned-emaonly"
    assert item.attributes["Model hash"] == "6ce0161689"
    assert item.prompt is not None and PROMPT in item.prompt


def test_forge_is_named(pixels: np.ndarray) -> None:
    text = A1111.replace("Version: v1.7.0", "Version: f2.0.1v1.10.1-previous-313")
    item = _only(analyze(png_with_text(pixels, {"parameters": text})))
    assert item.generator == "Stable Diffusion WebUI Forge"


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_a1111_in_exif_user_comment(pixels: np.ndarray, fmt: str) -> None:
    data = with_exif(pixels, fmt, {}, {0x9286: user_comment(A1111)})
    item = _only(analyze(data))
    assert item.source.endswith("UserComment")
    assert item.model == "v1-5-pruned-emaonly"


def test_comfyui_prompt_and_workflow(pixels: np.ndarray) -> None:
    graph = {
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "sdxl_base.safetensors"},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": PROMPT, "clip": ["4", 1]}},
        "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}},
    }
    data = png_with_text(
        pixels, {"prompt": json.dumps(graph), "workflow": json.dumps({"nodes": []})}
    )
    item = _only(analyze(data))
    assert (item.generator, item.model) == ("ComfyUI", "sdxl_base.safetensors")
    assert item.prompt == PROMPT


def test_invokeai_metadata(pixels: np.ndarray) -> None:
    meta = {
        "generation_mode": "txt2img",
        "positive_prompt": PROMPT,
        "model": {"name": "juggernaut-xl"},
    }
    item = _only(analyze(png_with_text(pixels, {"invokeai_metadata": json.dumps(meta)})))
    assert (item.generator, item.model, item.prompt) == ("InvokeAI", "juggernaut-xl", PROMPT)


def test_fooocus_scheme(pixels: np.ndarray) -> None:
    meta = {"prompt": PROMPT, "base_model": "juggernautXL_v8", "version": "Fooocus v2.5.0"}
    data = png_with_text(pixels, {"parameters": json.dumps(meta), "fooocus_scheme": "fooocus"})
    item = _only(analyze(data))
    assert (item.generator, item.model) == ("Fooocus", "juggernautXL_v8")


def test_novelai_png_text(pixels: np.ndarray) -> None:
    texts = {
        "Title": "AI generated image",
        "Description": PROMPT,
        "Software": "NovelAI",
        "Source": "NovelAI Diffusion V4 5B2A9E2C",
        "Comment": json.dumps({"prompt": PROMPT, "steps": 28}),
    }
    item = _only(analyze(png_with_text(pixels, texts)))
    assert (item.generator, item.model, item.prompt) == (
        "NovelAI",
        "NovelAI Diffusion V4 5B2A9E2C",
        PROMPT,
    )


def test_novelai_stealth_pngcomp(pixels: np.ndarray) -> None:
    data = stealth_alpha(
        pixels, novelai_payload("NovelAI Diffusion V3", PROMPT), magic=b"stealth_pngcomp"
    )
    item = _only(analyze(data))
    assert item.source.startswith("alpha channel")
    assert (item.generator, item.model, item.prompt) == ("NovelAI", "NovelAI Diffusion V3", PROMPT)


def test_novelai_stealth_plain(pixels: np.ndarray) -> None:
    payload = json.dumps(
        {"Software": "NovelAI", "Source": "NAI v2", "Description": PROMPT}
    ).encode()
    item = _only(analyze(stealth_alpha(pixels, payload, magic=b"stealth_pnginfo")))
    assert item.model == "NAI v2" and item.problem is None


@pytest.mark.parametrize(
    ("payload", "length_bits", "problem"),
    [
        (b"\x1f\x8b garbage that is not gzip" * 10, None, "unreadable_payload"),
        (b"\x00" * 40, 10**9, "bad_length"),
        (np.random.default_rng(1).bytes(300), None, "unreadable_payload"),
    ],
)
def test_novelai_stealth_header_over_garbage(
    pixels: np.ndarray, payload: bytes, length_bits: int | None, problem: str
) -> None:
    data = stealth_alpha(pixels, payload, magic=b"stealth_pngcomp", length_bits=length_bits)
    report = analyze(data)
    item = _only(report)
    assert report.verdict == "likely_ai"
    assert item.problem == problem
    assert "stealth header present" in item.detail


def test_midjourney_description(pixels: np.ndarray) -> None:
    text = f"{PROMPT} --ar 6:5 --v 6.1 Job ID: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    item = _only(analyze(png_with_text(pixels, {"Author": "someone", "Description": text})))
    assert (item.generator, item.model) == ("Midjourney", "v6.1")
    assert item.prompt is not None and "Job ID" not in item.prompt


@pytest.mark.parametrize(
    ("software", "generator"),
    [
        ("Adobe Firefly", "Adobe Firefly"),
        ("DALL·E 3", "DALL-E"),
        ("Draw Things 1.2", "Draw Things"),
    ],
)
def test_exif_software_of_known_generators(
    pixels: np.ndarray, software: str, generator: str
) -> None:
    item = _only(analyze(with_exif(pixels, "JPEG", {0x0131: software}, {})))
    assert item.generator == generator


def test_camera_software_is_not_a_generator(pixels: np.ndarray) -> None:
    data = with_exif(
        pixels, "JPEG", {0x010F: "Canon", 0x0110: "EOS 5D", 0x0131: "Firmware 1.1"}, {}
    )
    assert analyze(data).verdict == "no_ai_signal"


def test_prompts_stay_out_of_details_repr_and_default_dict(pixels: np.ndarray) -> None:
    report = analyze(png_with_text(pixels, {"parameters": A1111}))
    assert PROMPT not in repr(report)
    assert PROMPT not in json.dumps(report.to_dict())
    assert all(PROMPT not in item.detail for item in report.evidence)
    assert PROMPT in json.dumps(report.to_dict(include_prompts=True))


def test_damaged_exif_is_evidence(pixels: np.ndarray) -> None:
    jpeg = encode(pixels, "JPEG")
    body = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + b"\x00" * 6
    segment = b"\xff\xe1" + len(body + b"xx").to_bytes(2, "big") + body
    report = analyze(jpeg[:2] + segment + jpeg[2:])
    assert report.verdict == "no_ai_signal"
