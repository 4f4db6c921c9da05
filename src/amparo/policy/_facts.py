"""What a policy sees of a scan (its matches, its provenance, the caller's metadata), and
what a rule asks of it (:class:`Conditions`, compiled into checks and explained in words).

:class:`ScanFacts` is built the same way from a live scan (:meth:`ScanFacts.of`) and from a
stored scan record (:meth:`ScanFacts.from_record`), so testing a policy against a stored scan
gives the decision a live scan would have got. Content metadata is checked here, once, for
the API and the command line alike (:func:`content_meta`).

Evaluation runs every rule's checks until one rule's all hold, so they are small closures
over pre-built sets, cheapest first, and say nothing; the words (:func:`explain_conditions`)
are made once, for the rule that fired. (One module with the facts: a scan crosses it on
its hot path, and every module there counts.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from amparo import inputs
from amparo.errors import InputError
from amparo.matching import Match
from amparo.provenance import ProvenanceReport

__all__ = [
    "CONTENT_CONDITIONS",
    "CONTENT_FIELDS",
    "MATCH_CONDITIONS",
    "Conditions",
    "ContentMeta",
    "MatchSeen",
    "Predicate",
    "ScanFacts",
    "compile_conditions",
    "content_meta",
    "explain_conditions",
]

CONTENT_FIELDS = ("content_id", "uploader_id", "surface", "country")
"""The content metadata a caller may pass with a scan."""

_ID_MAX = 255
_SURFACE = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,63}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_AI = frozenset({"declared_ai", "likely_ai", "stripped"})


@dataclass(frozen=True)
class ContentMeta:
    """The caller's description of the content: its id and uploader on the platform, the
    ``surface`` it was posted to (e.g. ``profile_photo``, ``chat``) and the uploader's
    ``country`` (ISO 3166-1 alpha-2). Every field is optional."""

    content_id: str | None = None
    uploader_id: str | None = None
    surface: str | None = None
    country: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The fields that are set."""
        return {k: v for k in CONTENT_FIELDS if (v := getattr(self, k)) is not None}

    @property
    def empty(self) -> bool:
        """True when the caller gave no metadata."""
        return not self.to_dict()


def _check_field(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InputError(f"{name} must be text, not {type(value).__name__}")
    inputs.check_text(value, what=name)
    if name in ("content_id", "uploader_id"):
        if not value or len(value) > _ID_MAX or not value.isprintable():
            raise InputError(
                f"{name} must be 1 to {_ID_MAX} printable characters",
                hint=f"pass the platform's own {name.replace('_', ' ')}",
            )
        return value
    if name == "surface":
        if not _SURFACE.fullmatch(value):
            raise InputError(
                f"surface {value[:80]!r} is not a surface name",
                hint="use 1 to 64 lower-case letters, digits and _ . : - "
                "(e.g. profile_photo, chat)",
            )
        return value
    country = value.upper()
    if not _COUNTRY.fullmatch(country):
        raise InputError(
            f"country {value[:80]!r} is not an ISO 3166-1 alpha-2 code",
            hint="use two letters, e.g. US, DE, BR",
        )
    return country


def content_meta(values: Mapping[str, object]) -> ContentMeta:
    """Checked content metadata from caller input (form fields, JSON, ``--meta k=v``).

    Unknown names, non-text values, ids over 255 characters, surfaces that are not short
    lower-case names and countries that are not two letters are :class:`InputError` s.
    ``None`` values are left out; country codes are upper-cased."""
    unknown = sorted(set(values) - set(CONTENT_FIELDS))
    if unknown:
        raise InputError(
            f"unknown content metadata {', '.join(map(repr, unknown))}",
            hint=f"the metadata a scan takes: {', '.join(CONTENT_FIELDS)}",
        )
    checked = {k: _check_field(k, v) for k, v in values.items() if v is not None}
    return ContentMeta(**checked)


@dataclass(frozen=True)
class MatchSeen:
    """What a policy sees of one match."""

    bank: str
    entry_id: int
    signal_type: str
    distance: int
    category: str | None
    tags: frozenset[str]


@dataclass(frozen=True)
class ScanFacts:
    """Everything :func:`amparo.policy.evaluate` sees of a scan (matches of enabled entries
    only).

    ``verdict`` is ``None`` when provenance was not read. ``ai_evidence`` holds the evidence
    types that indicated AI (``c2pa``, ``iptc``, ``generator_metadata``, ``watermark``,
    ``classifier``, ``stripped``); ``classifier_scores`` every classifier's (name, score).
    """

    matches: tuple[MatchSeen, ...] = ()
    verdict: str | None = None
    ai_evidence: frozenset[str] = frozenset()
    classifier_scores: tuple[tuple[str, float], ...] = ()
    content: ContentMeta = ContentMeta()

    @classmethod
    def of(
        cls,
        matches: Sequence[Match],
        provenance: ProvenanceReport | None,
        content: ContentMeta | None = None,
    ) -> ScanFacts:
        """The facts of a live scan. Matches of disabled entries are left out (a disabled
        entry is how a false positive is withdrawn; only ``include_disabled`` lookups
        return them)."""
        seen = tuple(
            MatchSeen(m.bank, m.entry_id, m.signal_type, m.distance, m.category, frozenset(m.tags))
            for m in matches
            if m.enabled
        )
        if provenance is None:
            return cls(seen, None, frozenset(), (), content or ContentMeta())
        return cls(
            seen,
            provenance.verdict,
            frozenset(e.type for e in provenance.evidence if e.indicates in _AI),
            tuple(
                (e.source, e.score)
                for e in provenance.evidence
                if e.type == "classifier" and e.score is not None
            ),
            content or ContentMeta(),
        )

    @classmethod
    def from_record(
        cls,
        matches: Sequence[Mapping[str, Any]],
        provenance: Mapping[str, Any] | None,
        content: Mapping[str, Any] | None = None,
    ) -> ScanFacts:
        """The facts of a stored scan: its ``matches`` and ``provenance`` as recorded (the
        JSON forms of :class:`~amparo.matching.Match` and the provenance report)."""
        seen = tuple(
            MatchSeen(
                str(m["bank"]),
                int(m["entry_id"]),
                str(m["signal_type"]),
                int(m["distance"]),
                m.get("category"),
                frozenset(m.get("tags") or ()),
            )
            for m in matches
            if m.get("enabled", True)
        )
        meta = content_meta(content) if content else ContentMeta()
        if provenance is None:
            return cls(seen, None, frozenset(), (), meta)
        evidence = provenance.get("evidence") or ()
        return cls(
            seen,
            str(provenance["verdict"]),
            frozenset(str(e["type"]) for e in evidence if e.get("indicates") in _AI),
            tuple(
                (str(e["source"]), float(e["score"]))
                for e in evidence
                if e.get("type") == "classifier" and e.get("score") is not None
            ),
            meta,
        )


Predicate = Callable[[ScanFacts], bool]

MATCH_CONDITIONS = ("bank", "category", "tags", "signal_type", "distance_max")
"""Conditions one match must meet together (any of them implies ``matched = true``)."""

CONTENT_CONDITIONS = ("content_id", "uploader_id", "surface", "country")


@dataclass(frozen=True)
class Conditions:
    """What a rule asks of a scan; ``None`` means "not asked". Sets mean "any of".

    Match conditions (``bank``, ``category``, ``tags``, ``signal_type``, ``distance_max``)
    hold when ONE match satisfies all of them; any of them implies ``matched = true``.
    ``evidence`` names evidence types that must indicate AI (not merely have been checked);
    ``classifier_score_min`` holds when a classifier (of ``classifier``, if given) scored at
    least that much; ``classifier`` alone, when such a classifier gave any score. Content
    conditions compare the caller's metadata of the scan.
    """

    matched: bool | None = None
    bank: frozenset[str] | None = None
    category: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    signal_type: frozenset[str] | None = None
    distance_max: int | None = None
    verdict: frozenset[str] | None = None
    evidence: frozenset[str] | None = None
    classifier: frozenset[str] | None = None
    classifier_score_min: float | None = None
    content_id: frozenset[str] | None = None
    uploader_id: frozenset[str] | None = None
    surface: frozenset[str] | None = None
    country: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        """True for a rule with no conditions: it fires for every scan (a default rule)."""
        return not self.asked()

    def asked(self) -> tuple[str, ...]:
        """The names of the conditions this rule asks, in declaration order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not None)

    def match_ok(self, m: MatchSeen) -> bool:
        """True when the match ``m`` meets every match condition."""
        return (
            (self.bank is None or m.bank in self.bank)
            and (self.category is None or m.category in self.category)
            and (self.tags is None or not self.tags.isdisjoint(m.tags))
            and (self.signal_type is None or m.signal_type in self.signal_type)
            and (self.distance_max is None or m.distance <= self.distance_max)
        )

    def classifier_hit(self, facts: ScanFacts) -> tuple[str, float] | None:
        """The first classifier score that meets the classifier conditions, or None."""
        names, least = self.classifier, self.classifier_score_min
        for name, score in facts.classifier_scores:
            if (names is None or name in names) and (least is None or score >= least):
                return name, score
        return None


def _content(name: str, allowed: frozenset[str]) -> Predicate:
    def check(facts: ScanFacts) -> bool:
        return getattr(facts.content, name) in allowed

    return check


def compile_conditions(when: Conditions) -> tuple[Predicate, ...]:
    """The checks of ``when``: all hold exactly when the rule fires. Cheapest first."""
    checks: list[Predicate] = []
    for name in CONTENT_CONDITIONS:
        allowed = getattr(when, name)
        if allowed is not None:
            checks.append(_content(name, allowed))
    if when.verdict is not None:
        verdicts = when.verdict
        checks.append(lambda f: f.verdict in verdicts)
    if when.evidence is not None:
        kinds = when.evidence
        checks.append(lambda f: not kinds.isdisjoint(f.ai_evidence))
    if when.matched is not None:
        want = when.matched
        checks.append(lambda f: bool(f.matches) is want)
    if any(getattr(when, n) is not None for n in MATCH_CONDITIONS):
        ok = when.match_ok
        checks.append(lambda f: any(ok(m) for m in f.matches))
    if when.classifier is not None or when.classifier_score_min is not None:
        hit = when.classifier_hit
        checks.append(lambda f: hit(f) is not None)
    return tuple(checks)


def _one_of(values: frozenset[str]) -> str:
    shown = ", ".join(sorted(values))
    return shown if len(values) == 1 else f"one of {shown}"


def explain_conditions(when: Conditions, facts: ScanFacts) -> str:
    """Why ``when`` holds for ``facts``, in words: one clause per condition asked."""
    if when.empty:
        return "no earlier rule applied (this is the default rule)"
    parts: list[str] = []
    if when.matched is True and not any(getattr(when, n) is not None for n in MATCH_CONDITIONS):
        count = len(facts.matches)
        parts.append(f"the scan matched {count} bank entr{'y' if count == 1 else 'ies'}")
    elif when.matched is False:
        parts.append("the scan matched no bank entry")
    match = next((m for m in facts.matches if when.match_ok(m)), None)
    if match is not None and any(getattr(when, n) is not None for n in MATCH_CONDITIONS):
        why = [f"signal {match.signal_type} at distance {match.distance}"]
        if when.distance_max is not None:
            why[0] += f" (at most {when.distance_max})"
        if when.category is not None:
            why.append(f"category {match.category}")
        if when.tags is not None:
            why.append(f"tags {', '.join(sorted(when.tags & match.tags))}")
        parts.append(f"matched entry {match.entry_id} of bank {match.bank!r}: {'; '.join(why)}")
    if when.verdict is not None:
        parts.append(f"provenance verdict is {facts.verdict}")
    if when.evidence is not None:
        parts.append(f"AI evidence from {', '.join(sorted(when.evidence & facts.ai_evidence))}")
    hit = when.classifier_hit(facts)
    if hit is not None and (when.classifier is not None or when.classifier_score_min is not None):
        name, score = hit
        least = when.classifier_score_min
        parts.append(
            f"classifier {name!r} scored {score:.2f}"
            + (f" (at least {least:g})" if least is not None else "")
        )
    for name in CONTENT_CONDITIONS:
        allowed = getattr(when, name)
        if allowed is not None:
            parts.append(f"{name} is {getattr(facts.content, name)!r} ({_one_of(allowed)})")
    return "; ".join(parts)
