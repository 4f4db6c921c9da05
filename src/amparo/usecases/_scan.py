"""Scanning: media in; signals, matches, provenance and a committed scan record out."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from amparo.auth import Principal
from amparo.matching import Match, Query, merge_matches
from amparo.policy import ContentMeta, Decision, ScanFacts, evaluate
from amparo.provenance import ProvenanceReport, analyze
from amparo.scan import ScanRecord, new_scan_id
from amparo.signals import SIGNAL_TYPES, Signals
from amparo.usecases.base import ScanContext

__all__ = [
    "HashMatches",
    "ScanResult",
    "match_hashes",
    "observe",
    "queries_for",
    "scan_media",
]

_PDQ = SIGNAL_TYPES["pdq"].name
_VIDEO_MD5 = SIGNAL_TYPES["video_md5"].name


@dataclass(frozen=True)
class ScanResult:
    scan_id: str
    signals: Signals
    matches: tuple[Match, ...]
    low_quality: bool
    provenance: ProvenanceReport | None = None
    decision: Decision | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API/CLI form. Prompts found in the file are left out (the scan record has them)."""
        return {
            "scan_id": self.scan_id,
            "signals": self.signals.to_dict(),
            "pdq_low_quality": self.low_quality,
            "matched": bool(self.matches),
            "matches": [m.to_dict() for m in self.matches],
            "provenance": self.provenance.to_dict() if self.provenance else None,
            "decision": self.decision.to_dict() if self.decision else None,
        }


def queries_for(signals: Signals, *, dihedral: bool, include_low_quality: bool) -> list[Query]:
    """The lookups a scan makes: the byte digests (also as HMA's ``video_md5``, so a video
    is found in video lists) and, unless low quality, the PDQ and its variants."""
    queries = [
        Query("md5", signals.md5),
        Query("sha256", signals.sha256),
        Query(_VIDEO_MD5, signals.md5),
    ]
    pdq = signals.pdq
    if pdq is not None and (include_low_quality or not pdq.low_quality):
        queries.append(Query(_PDQ, pdq.hex))
        if dihedral and signals.pdq_dihedral:
            queries.extend(
                Query(_PDQ, value, variant=name)
                for name, value in signals.pdq_dihedral.items()
                if value != pdq.hex
            )
    return queries


def observe(
    ctx: ScanContext,
    data: bytes,
    *,
    dihedral: bool = False,
    include_low_quality: bool = False,
    with_provenance: bool = True,
) -> tuple[Signals, ProvenanceReport | None, tuple[Match, ...]]:
    """What a scan sees of ``data`` (signals, provenance, matches), recording nothing."""
    # A file whose pixels cannot be hashed is still scanned: its MD5 and SHA-256 are
    # matched, and signals.decode_error says why there is no PDQ. Provenance reuses the
    # hash's decode (a PNG or WebP is decoded once).
    signals, decoded = ctx.hasher.hash(data, dihedral=dihedral, keep_pixels=True)
    report = None
    if with_provenance:
        report = analyze(
            data, options=ctx.provenance_options, pixels=decoded, limits=ctx.hasher.limits
        )
    queries = queries_for(signals, dihedral=dihedral, include_low_quality=include_low_quality)
    return signals, report, tuple(merge_matches(ctx.matcher.lookup(queries)))


def scan_media(
    ctx: ScanContext,
    data: bytes,
    *,
    filename: str | None = None,
    source: str = "upload",
    dihedral: bool = False,
    include_low_quality: bool = False,
    with_provenance: bool = True,
    principal: Principal | None = None,
    content: ContentMeta | None = None,
) -> ScanResult:
    """Hash ``data``, match it against every bank, read its AI provenance, decide by the
    active policy (with the caller's ``content`` metadata), record the scan.

    Returns once the record (with its decision's ledger events and effects) is committed by
    the runtime's scan writer, in a group with other scans: CPU-bound, so servers call it
    on a worker thread. The media goes to the writer (for the effects: the vault) only when
    the decision is to preserve or quarantine it.
    """
    signals, report, matches = observe(
        ctx,
        data,
        dihedral=dihedral,
        include_low_quality=include_low_quality,
        with_provenance=with_provenance,
    )
    decision = evaluate(ctx.policy, ScanFacts.of(matches, report, content))
    pdq = signals.pdq
    record = ScanRecord(
        scan_id=new_scan_id(),
        source=source,
        filename=filename,
        hashes={"md5": signals.md5, "sha256": signals.sha256}
        | ({_PDQ: pdq.hex} if pdq is not None else {}),
        pdq_quality=pdq.quality if pdq is not None else None,
        matches=matches,
        provenance=report,
        key_id=principal.key_id if principal else None,
        decision=decision,
        content=content,
    )
    ctx.scans.submit(record, data if decision.needs_media else None).result()
    low = pdq is not None and pdq.low_quality
    return ScanResult(record.scan_id, signals, matches, low, report, decision)


@dataclass(frozen=True)
class HashMatches:
    """Matches per query, the policy's decision per query, and the future of the commit of
    the recorded ones (None when none was: lookups that matched nothing and were simply
    allowed are only counted)."""

    results: list[list[Match]]
    committed: Future[None] | None
    decisions: list[Decision]


def match_hashes(
    ctx: ScanContext,
    queries: Sequence[Query],
    *,
    principal: Principal | None = None,
    only_enabled: bool = True,
    banks: Collection[str] | None = None,
    rng: random.Random | None = None,
) -> HashMatches:
    """Look up hashes (no media) and decide each by the active policy. Each lookup that
    matched, or whose decision does more than allow, is recorded as a scan (source
    ``hash``) with its ledger events and the decision's effects; the others are counted.

    ``rng`` draws the bank enabled-ratio coin flip (see :meth:`Matcher.lookup`).
    """
    results = ctx.matcher.lookup(queries, only_enabled=only_enabled, banks=banks, rng=rng)
    policy = ctx.policy
    futures: list[Future[None]] = []
    decisions: list[Decision] = []
    unmatched = 0
    # A lookup that matched nothing has the same facts as every other such lookup (no
    # media, no metadata): decided once per request, not once per hash.
    nothing = evaluate(policy, ScanFacts())
    for q, matches in zip(queries, results, strict=True):
        decision = evaluate(policy, ScanFacts.of(matches, None)) if matches else nothing
        decisions.append(decision)
        if not matches and not decision.acts:
            unmatched += 1
            continue
        record = ScanRecord(
            scan_id=new_scan_id(),
            source="hash",
            filename=None,
            hashes={q.signal_type: q.value},
            pdq_quality=None,
            matches=tuple(matches),
            provenance=None,
            key_id=principal.key_id if principal else None,
            decision=decision,
        )
        futures.append(ctx.scans.submit(record))
    if unmatched:
        ctx.scans.count(unmatched)
    return HashMatches(results, _all(futures), decisions)


def _all(futures: list[Future[None]]) -> Future[None] | None:
    """One future for many (they commit in order, so the last done means all are, unless
    one failed: then its error)."""
    if not futures:
        return None
    if len(futures) == 1:
        return futures[0]
    combined: Future[None] = Future()
    remaining = [len(futures)]

    def done(f: Future[None]) -> None:
        if combined.done():
            return
        exc = f.exception()
        if exc is not None:
            combined.set_exception(exc)
            return
        remaining[0] -= 1
        if remaining[0] == 0:
            combined.set_result(None)

    for f in futures:
        f.add_done_callback(done)
    return combined
