"""Generator metadata: what AI image tools write about themselves into the files they save.

Recognised: Automatic1111/SD WebUI (and Forge) ``parameters`` (PNG text; EXIF UserComment in
JPEG/WebP), ComfyUI ``prompt``/``workflow``, InvokeAI (``invokeai_metadata``, older
``sd-metadata``/``Dream``), Fooocus (its JSON ``parameters`` scheme), NovelAI (``Software``,
``Source``, ``Comment``), Midjourney descriptions (``Job ID``), and the EXIF/PNG ``Software``
of known generators. None of these is signed, so each indicates ``likely_ai``, not a
declaration. Prompts go to :attr:`Evidence.prompt` only, never into ``detail``.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from typing import Any

from PIL import Image

from amparo.provenance._base import Evidence
from amparo.provenance._containers import Blob, Container

__all__ = ["a1111_parameters", "comfyui_workflow", "known_generator", "read_generators"]

_MAX_ATTRIBUTE = 200
_SOFTWARE_TAG, _DESCRIPTION_TAG, _EXIF_IFD, _USER_COMMENT_TAG = 0x0131, 0x010E, 0x8769, 0x9286
_KNOWN_SOFTWARE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"novel\s?ai", "NovelAI"),
        (r"midjourney", "Midjourney"),
        (r"\bdall.?e\b", "DALL-E"),
        (r"firefly", "Adobe Firefly"),
        (r"stable[\s_-]?diffusion", "Stable Diffusion"),
        (r"automatic1111|sd[\s-]?webui", "Stable Diffusion WebUI"),
        (r"comfy\s?ui", "ComfyUI"),
        (r"invoke\s?ai", "InvokeAI"),
        (r"fooocus", "Fooocus"),
        (r"draw things", "Draw Things"),
        (r"leonardo\.?ai", "Leonardo.Ai"),
        (r"ideogram", "Ideogram"),
        (r"\bimagen\b", "Google Imagen"),
        (r"chatgpt|gpt-4o|gpt-image", "ChatGPT"),
        (r"bing image creator", "Bing Image Creator"),
        (r"\bflux(\.\d)?\b", "FLUX"),
        (r"dreamstudio|stability\.?ai", "Stability AI"),
        (r"nightcafe", "NightCafe"),
        (r"craiyon", "Craiyon"),
    )
)
_A1111_SETTINGS = re.compile(r"(?:^|\n)(Steps: \d+,[^\n]*)\s*$")
_A1111_FIELD = re.compile(r"\s*([\w \-/]+):\s*(\"(?:[^\"\\]|\\.)*\"|[^,]*)(?:,|$)")
_MIDJOURNEY_JOB = re.compile(r"Job ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-", re.IGNORECASE)
_COMFY_MODEL_INPUTS = ("ckpt_name", "unet_name", "model_name")


def known_generator(software: str) -> str | None:
    """The generator a ``Software``-like string names, or None."""
    for pattern, name in _KNOWN_SOFTWARE:
        if pattern.search(software):
            return name
    return None


def read_generators(container: Container) -> list[Evidence]:
    """Evidence from PNG text chunks, JPEG comments and EXIF blocks."""
    texts = {blob.key: blob for blob in container.texts}
    evidence: list[Evidence] = []
    if "parameters" in texts:
        evidence.append(_parameters(texts["parameters"]))
    if "prompt" in texts or "workflow" in texts:
        evidence.append(comfyui_workflow(texts.get("prompt"), texts.get("workflow")))
    for key in ("invokeai_metadata", "sd-metadata", "Dream", "invokeai_graph"):
        if key in texts:
            evidence.append(_invokeai(texts[key]))
            break
    novelai = _novelai(texts)
    if novelai is not None:
        evidence.append(novelai)
    for key in ("Description", "comment", "Comment"):
        if key in texts and _MIDJOURNEY_JOB.search(_text(texts[key])):
            evidence.append(_midjourney(texts[key]))
            break
    if "Software" in texts and novelai is None:
        evidence.extend(_software(_text(texts["Software"]), texts["Software"].source))
    for blob in container.exif:
        evidence.extend(_exif(blob))
    return evidence


def _text(blob: Blob) -> str:
    return blob.data.decode("utf-8", errors="replace")


def _short(value: object) -> str:
    text = str(value).strip()
    return text if len(text) <= _MAX_ATTRIBUTE else text[: _MAX_ATTRIBUTE - 1] + "…"


def _json_object(text: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _parameters(blob: Blob) -> Evidence:
    text = _text(blob)
    as_json = _json_object(text)
    if as_json is not None and ("fooocus_scheme" in as_json or "Fooocus" in str(as_json)):
        return _fooocus(as_json, blob.source)
    return a1111_parameters(text, blob.source)


def a1111_parameters(text: str, source: str) -> Evidence:
    """Evidence from A1111/Forge ``parameters`` text, wherever it was found (PNG text, EXIF
    UserComment, the stealth-pnginfo alpha/RGB payload).

    The text is ``<prompt>\\nNegative prompt: ...\\nSteps: 20, Sampler: ..., Model: ...``;
    the prompt goes to :attr:`Evidence.prompt` only. Text without a recognisable settings
    line is still attributed (its key or carrier is A1111's), with that said in ``detail``.
    """
    settings_match = _A1111_SETTINGS.search(text)
    fields: dict[str, str] = {}
    prompt = text
    if settings_match is not None:
        prompt = text[: settings_match.start()].strip()
        for name, value in _A1111_FIELD.findall(settings_match.group(1)):
            fields[name.strip()] = value.strip().strip('"')
    version = fields.get("Version", "")
    generator = (
        "Stable Diffusion WebUI Forge"
        if version.startswith("f")
        else ("Stable Diffusion WebUI (Automatic1111)")
    )
    model = fields.get("Model")
    attributes: dict[str, str] = {
        key: _short(fields[key]) for key in ("Model hash", "Sampler", "Version") if key in fields
    }
    detail = f"{generator} generation parameters" + (f" (model {model})" if model else "")
    if settings_match is None:
        detail += "; settings line missing or unrecognised"
    return Evidence(
        type="generator_metadata",
        source=source,
        detail=detail,
        indicates="likely_ai",
        generator=generator,
        model=_short(model) if model else None,
        attributes=attributes,
        prompt=prompt or None,
    )


def _fooocus(meta: Mapping[str, Any], source: str) -> Evidence:
    model = meta.get("base_model") or meta.get("Base Model")
    version = meta.get("version") or meta.get("Version")
    prompt = meta.get("prompt") or meta.get("Prompt")
    return Evidence(
        type="generator_metadata",
        source=source,
        detail="Fooocus generation parameters" + (f" (model {_short(model)})" if model else ""),
        indicates="likely_ai",
        generator="Fooocus",
        model=_short(model) if model else None,
        attributes={"version": _short(version)} if version else {},
        prompt=str(prompt) if prompt else None,
    )


def comfyui_workflow(prompt_blob: Blob | None, workflow_blob: Blob | None) -> Evidence:
    """Evidence from ComfyUI's ``prompt`` (the node graph, JSON) and ``workflow`` items; the
    source is the first one present. Prompts are the CLIPTextEncode node texts."""
    graph = _json_object(_text(prompt_blob)) if prompt_blob is not None else None
    models: list[str] = []
    prompts: list[str] = []
    for node in (graph or {}).values():
        if not isinstance(node, dict) or not isinstance(node.get("inputs"), dict):
            continue
        inputs = node["inputs"]
        models.extend(
            _short(inputs[k]) for k in _COMFY_MODEL_INPUTS if isinstance(inputs.get(k), str)
        )
        if "CLIPTextEncode" in str(node.get("class_type", "")) and isinstance(
            inputs.get("text"), str
        ):
            prompts.append(inputs["text"])
    source = (prompt_blob or workflow_blob or Blob("", b"", "PNG text")).source
    unique_models = list(dict.fromkeys(models))
    detail = "ComfyUI workflow" + (
        f" (models: {', '.join(unique_models)})" if unique_models else ""
    )
    if prompt_blob is not None and graph is None:
        detail += "; its 'prompt' chunk is not a JSON graph"
    return Evidence(
        type="generator_metadata",
        source=source,
        detail=detail,
        indicates="likely_ai",
        generator="ComfyUI",
        model=unique_models[0] if unique_models else None,
        attributes={"models": ", ".join(unique_models)} if len(unique_models) > 1 else {},
        prompt="\n".join(prompts) or None,
    )


def _invokeai(blob: Blob) -> Evidence:
    meta = _json_object(_text(blob)) or {}
    model: object = meta.get("model")
    if isinstance(model, dict):
        model = model.get("name") or model.get("model_name")
    if model is None and isinstance(meta.get("image"), dict):
        model = meta.get("model_weights")
    prompt = meta.get("positive_prompt") or meta.get("prompt")
    return Evidence(
        type="generator_metadata",
        source=blob.source,
        detail="InvokeAI generation metadata" + (f" (model {_short(model)})" if model else ""),
        indicates="likely_ai",
        generator="InvokeAI",
        model=_short(model) if model else None,
        prompt=str(prompt) if prompt else None,
    )


def _novelai(texts: Mapping[str, Blob]) -> Evidence | None:
    software = _text(texts["Software"]) if "Software" in texts else ""
    source_text = _text(texts["Source"]) if "Source" in texts else ""
    if "novelai" not in (software + source_text).lower():
        return None
    comment = _json_object(_text(texts["Comment"])) if "Comment" in texts else None
    prompt = (comment or {}).get("prompt")
    if prompt is None and "Description" in texts:
        prompt = _text(texts["Description"])
    return Evidence(
        type="generator_metadata",
        source=(texts.get("Software") or texts["Source"]).source,
        detail="NovelAI image metadata"
        + (f" (model {_short(source_text)})" if source_text else ""),
        indicates="likely_ai",
        generator="NovelAI",
        model=_short(source_text) if source_text else None,
        prompt=str(prompt) if prompt else None,
    )


def _midjourney(blob: Blob) -> Evidence:
    text = _text(blob)
    version = re.search(r"--(?:v|version|niji)\s+([\d.]+)", text)
    return Evidence(
        type="generator_metadata",
        source=blob.source,
        detail="Midjourney job description",
        indicates="likely_ai",
        generator="Midjourney",
        model=f"v{version.group(1)}" if version else None,
        prompt=_MIDJOURNEY_JOB.split(text)[0].strip() or None,
    )


def _software(software: str, source: str) -> list[Evidence]:
    name = known_generator(software)
    if name is None:
        return []
    return [
        Evidence(
            type="generator_metadata",
            source=source,
            detail=f"software tag names the generator {name}",
            indicates="likely_ai",
            generator=name,
            attributes={"software": _short(software)},
        )
    ]


def _exif(blob: Blob) -> list[Evidence]:
    exif = Image.Exif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exif.load(b"Exif\x00\x00" + blob.data)
            sub_ifd = exif.get_ifd(_EXIF_IFD)
    except Exception as exc:  # Pillow raises many types on damaged TIFF structures
        return [
            Evidence(
                type="generator_metadata",
                source=blob.source,
                detail=f"EXIF block is damaged and was not read ({type(exc).__name__})",
                problem="exif_damaged",
            )
        ]
    evidence: list[Evidence] = []
    comment = sub_ifd.get(_USER_COMMENT_TAG)
    if isinstance(comment, bytes | str):
        text = _user_comment(comment)
        source = f"{blob.source} UserComment"
        if _A1111_SETTINGS.search(text):
            evidence.append(a1111_parameters(text, source))
        elif (meta := _json_object(text)) is not None and "Fooocus" in text:
            evidence.append(_fooocus(meta, source))
    software = exif.get(_SOFTWARE_TAG)
    if isinstance(software, str):
        evidence.extend(_software(software, f"{blob.source} Software"))
    description = exif.get(_DESCRIPTION_TAG)
    if isinstance(description, str) and _MIDJOURNEY_JOB.search(description):
        evidence.append(
            _midjourney(
                Blob("ImageDescription", description.encode(), f"{blob.source} ImageDescription")
            )
        )
    return evidence


def _user_comment(raw: bytes | str) -> str:
    """Decode an EXIF UserComment: an 8-byte charset prefix, then the text."""
    if isinstance(raw, str):
        return raw
    prefix, body = raw[:8], raw[8:]
    if prefix.startswith(b"UNICODE"):
        # piexif (used by A1111) writes UTF-16BE; some tools write UTF-16LE.
        big, little = body.decode("utf-16-be", "replace"), body.decode("utf-16-le", "replace")
        return big if _looks_text(big) >= _looks_text(little) else little
    if prefix.startswith(b"ASCII") or prefix == b"\x00" * 8:
        return body.decode("latin-1").rstrip("\x00")
    return raw.decode("utf-8", "replace").rstrip("\x00")


def _looks_text(text: str) -> int:
    return sum(1 for char in text if char.isascii() and (char.isprintable() or char == "\n"))
