"""C2PA manifests, read and validated with ``c2pa-python`` against configurable trust anchors.

Validation states map to :attr:`Evidence.validation`:

- ``valid``: the signature, the content hashes and the signer's chain to a trust anchor hold;
- ``untrusted``: all checks pass except that the signer does not chain to a trust anchor;
- ``invalid``: anything else failed (``problem`` names the first: ``hash_mismatch`` when the
  content was edited after signing, ``expired_certificate``, ``bad_signature``, ...).

An AI digital source type in any manifest's ``c2pa.actions`` is a declaration
(``declared_ai``) whatever the validation state, since even an invalid manifest says a
generator made the media; the state is reported beside it. Nothing is fetched from the
network: remote manifests and OCSP are off.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, Literal

import c2pa

from amparo.provenance._base import AI_SOURCE_TYPES, Evidence, source_type_of
from amparo.provenance._generators import known_generator

__all__ = ["read_c2pa"]

#: The MIME type c2pa-python is given for each format the container walk names. For these,
#: a file without an embedded store is not handed to the C2PA library at all.
_MIME = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "heif": "image/heif",
    "avif": "image/avif",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "m4a": "audio/mp4",
}
_UNTRUSTED = "signingCredential.untrusted"
_PROBLEMS = (
    ("dataHash.mismatch", "hash_mismatch"),
    ("boxesHash.mismatch", "hash_mismatch"),
    ("bmffHash.mismatch", "hash_mismatch"),
    ("hashedURI.mismatch", "assertion_mismatch"),
    ("outsideValidity", "expired_certificate"),
    ("signingCredential.expired", "expired_certificate"),
    ("signingCredential.revoked", "revoked_certificate"),
    ("claimSignature.mismatch", "bad_signature"),
    ("signingCredential.invalid", "invalid_certificate"),
)
_SOURCE = "C2PA manifest store"
Validation = Literal["valid", "invalid", "untrusted"]


@lru_cache(maxsize=8)
def _context(trust_anchors: tuple[bytes, ...]) -> Any:
    settings: dict[str, Any] = {
        "verify": {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False}
    }
    if trust_anchors:
        pem = b"\n".join(anchor.strip() for anchor in trust_anchors).decode("ascii")
        settings["trust"] = {"trust_anchors": pem + "\n"}
    return c2pa.Context.from_dict(settings)


def read_c2pa(
    data: bytes, fmt: str, *, store_seen: bool, trust_anchors: tuple[bytes, ...]
) -> list[Evidence]:
    """Evidence from the C2PA manifest store in ``data`` (empty when there is none).

    ``store_seen`` is what the container walk found; for the formats it walks (PNG, JPEG,
    WebP, TIFF, ISO BMFF) a file without a store is not handed to the C2PA library at all
    (the common, fast case), and one with a store is handed over with its MIME type. Other
    formats are left to the library's own detection.
    """
    if fmt in _MIME and not store_seen:
        return []
    try:
        context = _context(trust_anchors)
        reader = c2pa.Reader.try_create(_MIME.get(fmt, ""), io.BytesIO(data), None, context)
    except Exception as exc:  # c2pa raises C2paError subclasses, ctypes errors, ValueError
        if store_seen:
            return [_unreadable(f"{type(exc).__name__}: {exc}")]
        if isinstance(exc, c2pa.C2paError.NotSupported):
            return []  # a format C2PA does not cover: nothing to read
        return [
            Evidence(
                type="c2pa",
                source=_SOURCE,
                detail=f"C2PA reader could not parse this file ({type(exc).__name__})",
                problem="c2pa_error",
            )
        ]
    if reader is None:
        return [_unreadable("no manifest could be parsed from it")] if store_seen else []
    with reader:
        try:
            store = json.loads(reader.json())
            state = reader.get_validation_state() or ""
            results = reader.get_validation_results() or {}
        except Exception as exc:
            return [_unreadable(f"{type(exc).__name__}: {exc}")]
    return _evidence(store, state, results)


def _unreadable(why: str) -> Evidence:
    return Evidence(
        type="c2pa",
        source=_SOURCE,
        detail=f"C2PA manifest present but unreadable: {why[:300]}",
        validation="invalid",
        problem="manifest_unreadable",
    )


def _failures(results: Mapping[str, Any]) -> list[str]:
    active = results.get("activeManifest") or {}
    return [str(item.get("code", "")) for item in active.get("failure") or []]


def _validation(state: str, failures: list[str]) -> tuple[Validation, str | None]:
    if state.lower() == "trusted" and not failures:
        return "valid", None
    real = [code for code in failures if code != _UNTRUSTED]
    if not real and state.lower() in ("valid", "trusted"):
        return "untrusted", "untrusted_signer"
    for fragment, problem in _PROBLEMS:
        if any(fragment in code for code in real):
            return "invalid", problem
    return "invalid", "invalid_manifest" if real else "untrusted_signer"


def _evidence(store: Mapping[str, Any], state: str, results: Mapping[str, Any]) -> list[Evidence]:
    failures = _failures(results)
    validation, problem = _validation(state, failures)
    manifests: Mapping[str, Any] = store.get("manifests") or {}
    active_label = str(store.get("active_manifest") or "")
    active: Mapping[str, Any] = manifests.get(active_label) or {}
    claim_generator = _claim_generator(active)
    signature: Mapping[str, Any] = active.get("signature_info") or {}
    attributes = {
        key: str(value)[:200]
        for key, value in (
            ("signer", signature.get("common_name")),
            ("issuer", signature.get("issuer")),
            ("algorithm", signature.get("alg")),
            ("signed_at", signature.get("time")),
            ("claim_generator", claim_generator),
        )
        if value
    }
    if failures:
        attributes["failures"] = ", ".join(dict.fromkeys(failures))[:500]
    generator_named = known_generator(claim_generator) if claim_generator else None
    detail = f"C2PA manifest present, signature {validation}"
    if problem:
        detail += f" ({problem.replace('_', ' ')})"
    if signature.get("common_name"):
        detail += f"; signed by {signature['common_name']}"
    evidence = [
        Evidence(
            type="c2pa",
            source=_SOURCE,
            detail=detail,
            indicates="likely_ai" if generator_named else "none",
            generator=generator_named,
            validation=validation,
            problem=problem,
            attributes=attributes,
        )
    ]
    seen: set[tuple[str, str, str]] = set()
    for label, action in _actions(manifests):
        term = source_type_of(str(action.get("digitalSourceType", "")))
        name = str(action.get("action", "?"))
        agent = _agent(action.get("softwareAgent"))
        key = (name, term, agent or "")
        if not term or key in seen:
            continue
        seen.add(key)
        is_ai = term.lower() in AI_SOURCE_TYPES
        where = "" if label == active_label else " (in an ingredient's manifest)"
        evidence.append(
            Evidence(
                type="c2pa",
                source=f"{_SOURCE}: c2pa.actions",
                detail=f"C2PA action {name} with digital source type {term}{where}, "
                f"signature {validation}",
                indicates="declared_ai" if is_ai else "none",
                generator=agent if is_ai else None,
                validation=validation,
                problem=problem,
                attributes={"action": name[:100], "digital_source_type": term[:100]},
            )
        )
    return evidence


def _claim_generator(manifest: Mapping[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name, version = info[0].get("name"), info[0].get("version")
        return f"{name} {version}" if version else str(name) if name else None
    value = manifest.get("claim_generator")
    return str(value) if value else None


def _agent(agent: object) -> str | None:
    if isinstance(agent, dict):
        agent = agent.get("name")
    return str(agent)[:200] if agent else None


def _actions(manifests: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for label, manifest in manifests.items():
        if not isinstance(manifest, dict):
            continue
        for assertion in manifest.get("assertions") or []:
            if not isinstance(assertion, dict):
                continue
            if not str(assertion.get("label", "")).startswith("c2pa.actions"):
                continue
            for action in (assertion.get("data") or {}).get("actions") or []:
                if isinstance(action, dict):
                    yield label, action
