"""C2PA manifests, read and validated with ``c2pa-python`` against configurable trust anchors.

Validation states map to :attr:`Evidence.validation`:

- ``valid``: the signature, the content hashes and the signer's chain to a trust anchor hold;
- ``untrusted``: every failure only says a credential does not chain to a trust anchor: the
  claim signer (``signingCredential.untrusted``), a CAWG identity assertion's credential
  (``cawg.x509.credential.untrusted``) or any other code whose last segment says
  ``untrusted``; ``problem`` is ``untrusted_signer`` when the claim signer is among them,
  else ``untrusted_credential``;
- ``invalid``: anything else failed (``problem`` names the decisive failure: ``hash_mismatch``
  when the content was edited after signing, ``expired_certificate``, ``bad_signature``, ...).

Failures are read from the active manifest and from the per-ingredient deltas
(``ingredientDeltas``) and keep the label of the manifest they are about, taken from their
JUMBF URL. The active manifest's own failures decide first; when the decisive one is in an
ingredient's manifest, the summary names that manifest (``failing_manifest``) and the raw
code (``failing_code``), and each ingredient manifest with a real failure gets its own item.

An AI digital source type in any manifest's ``c2pa.actions`` is a declaration
(``declared_ai``) whatever the validation state, since even an invalid manifest says a
generator made the media; the state is reported beside it. Nothing is fetched from the
network: remote manifests and OCSP are off (a remote manifest reference is reported from
XMP by :mod:`amparo.provenance._xmp`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import c2pa

from amparo.provenance._base import AI_SOURCE_TYPES, Evidence, source_type_of
from amparo.provenance._generators import known_generator

__all__ = ["evidence_from_results", "read_c2pa"]

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
_UNTRUSTED_SIGNER = "signingCredential.untrusted"
_JUMBF_ROOT = "self#jumbf=/c2pa/"
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
    ("ingredient.manifest.missing", "ingredient_missing"),
    ("ingredient.", "ingredient_mismatch"),
    ("cawg.", "invalid_identity"),
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
        if _is_remote(exc):
            return []  # only a remote manifest, never fetched; the XMP reader reports it
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
    return evidence_from_results(store, state, results)


def _unreadable(why: str) -> Evidence:
    return Evidence(
        type="c2pa",
        source=_SOURCE,
        detail=f"C2PA manifest present but unreadable: {why[:300]}",
        validation="invalid",
        problem="manifest_unreadable",
    )


def _is_remote(exc: Exception) -> bool:
    """c2pa-python raises this (as a plain ``C2paError`` in 0.38) when the only manifest is
    remote and fetching is off."""
    remote = getattr(c2pa.C2paError, "RemoteManifest", None)
    return (remote is not None and isinstance(exc, remote)) or str(exc).startswith("Remote")


@dataclass(frozen=True)
class _Failure:
    """One failure code and the label of the manifest it is about ("" when unknown)."""

    code: str
    manifest: str


def _manifest_of(url: object) -> str | None:
    """The manifest label in a status URL: ``self#jumbf=/c2pa/<label>/...`` or a bare label
    (c2pa-rs uses one for a missing ingredient manifest); None for relative URLs."""
    if not isinstance(url, str) or not url:
        return None
    if url.startswith(_JUMBF_ROOT):
        return url[len(_JUMBF_ROOT) :].split("/", 1)[0] or None
    if url.startswith("self#") or "/" in url:
        return None
    return url


def _statuses(codes: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(codes, dict):
        for item in codes.get("failure") or []:
            if isinstance(item, dict) and item.get("code"):
                yield item


def _failures(results: Mapping[str, Any], active_label: str) -> list[_Failure]:
    """Failures of the active manifest, then the new failures c2pa found in ingredients."""
    failures = [
        _Failure(str(item["code"]), _manifest_of(item.get("url")) or active_label)
        for item in _statuses(results.get("activeManifest"))
    ]
    for delta in results.get("ingredientDeltas") or []:
        if isinstance(delta, dict):
            failures.extend(
                _Failure(str(item["code"]), _manifest_of(item.get("url")) or "")
                for item in _statuses(delta.get("validationDeltas"))
            )
    return failures


def _trust_only(code: str) -> bool:
    """True for codes that only say a credential does not chain to a trust anchor."""
    return code.rsplit(".", 1)[-1].lower().startswith("untrusted")


def _problem(code: str) -> str:
    for fragment, problem in _PROBLEMS:
        if fragment in code:
            return problem
    return "invalid_manifest"


def _decisive(failures: list[_Failure], active_label: str) -> _Failure:
    """The failure to report: the active manifest's own first, then by problem priority."""
    own = [item for item in failures if item.manifest == active_label]
    group = own or failures
    for fragment, _ in _PROBLEMS:
        for item in group:
            if fragment in item.code:
                return item
    return group[0]


def _validation(
    state: str, failures: list[_Failure], active_label: str, signature_validated: bool
) -> tuple[Validation, str | None, _Failure | None]:
    """(validation, problem, decisive failure) of the whole store; see the module doc."""
    state = state.lower()
    real = [item for item in failures if not _trust_only(item.code)]
    if real:
        decisive = _decisive(real, active_label)
        return "invalid", _problem(decisive.code), decisive
    if state == "trusted" and not failures:
        return "valid", None, None
    # Only trust failures (or none) from here. Older c2pa releases call such a store
    # "Invalid" when the untrusted credential is a CAWG identity's; the claim signature's
    # own success code says the signature itself held.
    if state in ("valid", "trusted") or (failures and signature_validated):
        signer = [item for item in failures if item.code == _UNTRUSTED_SIGNER]
        if signer or not failures:
            named = _decisive(signer, active_label) if signer else None
            return "untrusted", "untrusted_signer", named
        return "untrusted", "untrusted_credential", _decisive(failures, active_label)
    # The library says invalid without a failure code that says why: fail closed.
    return "invalid", "invalid_manifest", None


def _signature_validated(results: Mapping[str, Any]) -> bool:
    active = results.get("activeManifest")
    successes = active.get("success") if isinstance(active, dict) else None
    return any(
        isinstance(item, dict) and item.get("code") == "claimSignature.validated"
        for item in successes or []
    )


def _reason(problem: str, failure: _Failure | None, active_label: str) -> str:
    reason = problem.replace("_", " ")
    if failure is not None and failure.manifest != active_label:
        reason += f" in ingredient manifest {failure.manifest[:120] or '(unlabelled)'}"
    return reason


def evidence_from_results(
    store: Mapping[str, Any], state: str, results: Mapping[str, Any]
) -> list[Evidence]:
    """Evidence from what c2pa-python reports: the manifest store JSON, the validation state
    (``Trusted``/``Valid``/``Invalid``) and the validation results (``activeManifest`` and
    ``ingredientDeltas`` status codes). Pure, so it is tested on realistic results too;
    malformed parts are skipped, never raised on.
    """
    manifests = _mapping(store.get("manifests"))
    active_label = str(store.get("active_manifest") or "")
    failures = _failures(results, active_label)
    validation, problem, decisive = _validation(
        state, failures, active_label, _signature_validated(results)
    )
    active = _mapping(manifests.get(active_label))
    claim_generator = _claim_generator(active)
    signature = _mapping(active.get("signature_info"))
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
        attributes["failures"] = ", ".join(dict.fromkeys(item.code for item in failures))[:500]
    if decisive is not None and decisive.manifest != active_label:
        attributes["failing_manifest"] = decisive.manifest[:200]
        attributes["failing_code"] = decisive.code[:200]
    generator_named = known_generator(claim_generator) if claim_generator else None
    detail = f"C2PA manifest present, signature {validation}"
    if problem:
        detail += f" ({_reason(problem, decisive, active_label)})"
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
    failing = _failing_ingredients(failures, active_label)
    evidence.extend(_ingredient_evidence(failing, manifests))
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
        # An action in a failing ingredient manifest carries that manifest's own failure.
        own = failing.get(label)
        action_problem = _problem(own.code) if own else problem
        reason = _reason(action_problem, own or decisive, active_label) if action_problem else ""
        evidence.append(
            Evidence(
                type="c2pa",
                source=f"{_SOURCE}: c2pa.actions",
                detail=f"C2PA action {name} with digital source type {term}{where}, "
                f"signature {validation}" + (f" ({reason})" if reason else ""),
                indicates="declared_ai" if is_ai else "none",
                generator=agent if is_ai else None,
                validation=validation,
                problem=action_problem,
                attributes={"action": name[:100], "digital_source_type": term[:100]},
            )
        )
    return evidence


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _failing_ingredients(failures: list[_Failure], active_label: str) -> dict[str, _Failure]:
    """The decisive real (not trust-only) failure of each manifest but the active one."""
    by_manifest: dict[str, list[_Failure]] = {}
    for item in failures:
        if item.manifest != active_label and not _trust_only(item.code):
            by_manifest.setdefault(item.manifest, []).append(item)
    return {label: _decisive(items, label) for label, items in by_manifest.items()}


def _ingredient_evidence(
    failing: Mapping[str, _Failure], manifests: Mapping[str, Any]
) -> Iterator[Evidence]:
    for label, decisive in failing.items():
        problem = _problem(decisive.code)
        name = label[:120] or "(unlabelled)"
        title = _mapping(manifests.get(label)).get("title")
        attributes = {
            "manifest": label[:200] or "(unlabelled)",
            "failing_code": decisive.code[:200],
        }
        if title:
            attributes["title"] = str(title)[:200]
        yield Evidence(
            type="c2pa",
            source=f"{_SOURCE}: ingredient manifest",
            detail=f"C2PA ingredient manifest {name} failed validation "
            f"({problem.replace('_', ' ')}: {decisive.code[:100]})",
            validation="invalid",
            problem=problem,
            attributes=attributes,
        )


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
