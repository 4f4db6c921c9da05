"""Export a case as one archive for a prosecutor or hotline (:func:`export_case`).

The archive (see :mod:`amparo.cases._archive`) holds, under one folder:

- ``evidence/<item>/<vault id>.age``: each vault file, age-encrypted to the recipient;
- ``timeline.json``: each item's notice and removal timeline;
- ``summary.pdf``: a readable summary;
- ``case.json``: the case, its items, the evidence's plaintext digests, and the SHA-256 of
  every file above. The ``case.export`` ledger entry records ``case.json``'s SHA-256, so no
  file can be changed (and the manifest rewritten) unnoticed;
- ``custody.json``: the custody record of each vault file, this export's reads included;
- ``proofs/<entry>.tlog-proof``: an inclusion proof for every ledger entry involved (the
  case's, the items', the custody's, the timeline's and this export's own), in the format
  ``amparo ledger check-proof`` verifies offline; ``checkpoint.txt`` (with the witnesses'
  cosignatures) and ``log.vkey``;
- ``MANIFEST.sha256``: the SHA-256 of every other file;
- ``SEAL.tlog-proof``: the proof of a ``case.export_seal`` entry recording the manifest's
  SHA-256 (after the manifest, which cannot list it).

Order matters: the evidence is read (each read recorded by the vault) and written, then
``case.json`` and the ``case.export`` entry are committed together; then the ledger is
checkpointed and the proofs, covering the export itself, are added. Files are streamed one
at a time. The archive is written beside ``out`` and renamed into place only when complete:
a failure (a full disk included) leaves nothing behind, and is ledgered as
``case.export_failed``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from amparo.auth import Principal
from amparo.cases import _repo
from amparo.cases._age import Recipients, parse_recipients
from amparo.cases._archive import SEAL, ArchiveWriter
from amparo.cases._events import CaseExported, CaseExportFailed, CaseExportSealed
from amparo.cases._pdf import summary_pdf
from amparo.cases._service import CASE_ROLES
from amparo.cases.base import (
    CaseItem,
    CaseSources,
    CaseSummary,
    CustodyEvent,
    EvidenceInfo,
    ExportReport,
    ItemInfo,
    TimelineEvent,
)
from amparo.errors import ConflictError, InputError, LedgerVerificationError, NotFoundError
from amparo.ledger import Ledger
from amparo.store import UnitOfWork, utcnow

__all__ = ["ARCHIVE_FORMAT", "ExportContext", "Opener", "export_case"]

log = logging.getLogger(__name__)

ARCHIVE_FORMAT = "amparo-case/1"
Opener = Callable[[Path], BinaryIO]
"""Opens the file the archive is written to (the seam tests use to fill the disk)."""

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_IN_MEMORY = 32 << 20
"""Evidence files up to this size are encrypted in memory (one at a time); larger ones
through a staging file, so an export holds at most about twice this much."""


class ExportContext(Protocol):
    """Units of work and the ledger (the runtime)."""

    def session(self) -> AbstractContextManager[UnitOfWork]: ...

    @property
    def ledger(self) -> Ledger: ...


def _create(path: Path) -> BinaryIO:
    return path.open("xb")


def _safe(text: str) -> str:
    return _SAFE.sub("_", text)[:80]


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _event(t: TimelineEvent) -> dict[str, object]:
    return {"at": t.at.isoformat(), "what": t.what, "detail": t.detail, "entry": t.ledger_entry}


def _custody(c: CustodyEvent) -> dict[str, object]:
    return {
        "at": c.at.isoformat(),
        "actor": c.actor,
        "action": c.action,
        "reason": c.reason,
        "entry": c.ledger_entry,
    }


class _Export:
    """The state of one export while it runs."""

    def __init__(
        self,
        ctx: ExportContext,
        sources: CaseSources,
        case: CaseSummary,
        recipients: Recipients,
        principal: Principal,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.ctx = ctx
        self.sources = sources
        self.case = case
        self.recipients = recipients
        self.principal = principal
        self.progress = progress
        self.export_id = str(uuid.uuid4())
        self.now = utcnow()
        self.read: list[str] = []

    def content(self, writer: ArchiveWriter, tmp: Path) -> tuple[str, list[EvidenceInfo], int]:
        """Evidence, timeline, summary and case.json; commit them with ``case.export``."""
        reason = f"case export {self.export_id} of {self.case.name!r} to {self.recipients.text}"
        collected: list[tuple[ItemInfo, Sequence[EvidenceInfo], Sequence[TimelineEvent]]] = []
        extra: dict[str, list[int]] = {}
        all_evidence: list[EvidenceInfo] = []
        with self.ctx.session() as s:
            plan = [(item, self.sources.evidence(s, item)) for item in self.case.items]
            total = sum(len(ev) for _, ev in plan)
            for item, evidence in plan:
                info = self.sources.describe(s, item)
                if info is None:
                    raise NotFoundError(f"{item.text()} of case {self.case.name!r} is gone")
                for ev in evidence:
                    self._evidence(s, writer, tmp, item, ev, reason)
                    if self.progress is not None:
                        self.progress(len(self.read), total)
                timeline = self.sources.timeline(s, item)
                extra[item.text()] = list(self.sources.ledger_entries(s, item))
                collected.append((info, evidence, timeline))
                all_evidence.extend(evidence)
            writer.add_bytes(
                "timeline.json",
                _json({info.item.text(): [_event(t) for t in tl] for info, _, tl in collected}),
            )
            writer.add_bytes(
                "summary.pdf",
                summary_pdf(
                    case_name=self.case.name,
                    description=self.case.description,
                    export_id=self.export_id,
                    exported_at=self.now,
                    exported_by=self.principal.name,
                    recipient=self.recipients.text,
                    items=collected,
                ),
            )
            case_json = _json(self._case_json(collected, extra, dict(writer.files)))
            digest = writer.add_bytes("case.json", case_json)
            files = len(writer.files)
            _repo.add_export(
                s,
                case_id=self.case.case_id,
                export_id=self.export_id,
                recipient=self.recipients.text,
                case_json_sha256=digest,
                files=files,
                by=self.principal.name,
            )
            s.emit(
                CaseExported(
                    case_id=self.case.case_id,
                    export_id=self.export_id,
                    recipient=self.recipients.text,
                    case_json_sha256=digest,
                    files=files,
                    vault_ids=tuple(self.read),
                    by=self.principal.name,
                )
            )
        return digest, all_evidence, sum(len(v) for v in extra.values())

    def _evidence(
        self,
        s: UnitOfWork,
        writer: ArchiveWriter,
        tmp: Path,
        item: CaseItem,
        ev: EvidenceInfo,
        reason: str,
    ) -> None:
        data = self.sources.read_evidence(s, ev.vault_id, principal=self.principal, reason=reason)
        self.read.append(ev.vault_id)
        if hashlib.sha256(data).hexdigest() != ev.sha256.lower():
            raise LedgerVerificationError(
                f"vault file {ev.vault_id} does not match its recorded SHA-256; not exported",
                hint="the vault copy is damaged or altered: run the vault's own check",
            )
        name = f"evidence/{_safe(item.text())}/{_safe(ev.vault_id)}.age"
        if len(data) <= _IN_MEMORY:
            writer.add_bytes(name, self.recipients.encrypt_bytes(data))
            return
        # A large file is encrypted to a staging file beside the archive, then streamed in.
        staged = tmp / "evidence.age"
        with staged.open("wb") as dst:
            self.recipients.encrypt(io.BytesIO(data), dst)
        del data
        writer.add_file(name, staged)
        staged.unlink()

    def _case_json(
        self,
        collected: Sequence[tuple[ItemInfo, Sequence[EvidenceInfo], Sequence[TimelineEvent]]],
        extra: dict[str, list[int]],
        files: dict[str, str],
    ) -> dict[str, object]:
        return {
            "format": ARCHIVE_FORMAT,
            "case": {
                "id": self.case.case_id,
                "name": self.case.name,
                "description": self.case.description,
                "created_at": self.case.created_at.isoformat(),
            },
            "export_id": self.export_id,
            "exported_at": self.now.isoformat(),
            "exported_by": self.principal.name,
            "recipient": self.recipients.text,
            "items": [
                {
                    "item": info.item.text(),
                    "summary": info.summary,
                    "platform": info.platform,
                    "url": info.url,
                    "first_seen": info.first_seen.isoformat() if info.first_seen else None,
                    "sha256": info.sha256,
                    "ledger_entries": extra.get(info.item.text(), []),
                    "evidence": [
                        {
                            "vault_id": ev.vault_id,
                            "file": f"evidence/{_safe(info.item.text())}/{_safe(ev.vault_id)}.age",
                            "plaintext_sha256": ev.sha256.lower(),
                            "size": ev.size,
                            "media_type": ev.media_type,
                        }
                        for ev in evidence
                    ],
                }
                for info, evidence, _ in collected
            ],
            "files": files,
        }

    def proofs(self, writer: ArchiveWriter, evidence: Sequence[EvidenceInfo]) -> tuple[int, int]:
        """Custody, proofs of every entry involved, checkpoint and log key."""
        ledger = self.ctx.ledger
        ledger.integrate()
        note = ledger.checkpoint()
        entries: set[int] = set()
        custody: dict[str, list[dict[str, object]]] = {}
        with self.ctx.session() as s:
            for item in self.case.items:
                entries.update(self.sources.ledger_entries(s, item))
                entries.update(
                    t.ledger_entry
                    for t in self.sources.timeline(s, item)
                    if t.ledger_entry is not None
                )
            for ev in evidence:
                steps = self.sources.custody(s, ev.vault_id)
                custody[ev.vault_id] = [_custody(c) for c in steps]
                entries.update(c.ledger_entry for c in steps if c.ledger_entry is not None)
        entries.update(self._own_entries(ledger))
        writer.add_bytes("custody.json", _json(custody))
        for entry in sorted(entries):
            writer.add_bytes(f"proofs/{entry}.tlog-proof", ledger.prove(entry).encode())
        writer.add_bytes("checkpoint.txt", note.encode())
        if ledger.verifier is not None:
            writer.add_bytes("log.vkey", (ledger.verifier.vkey + "\n").encode())
        size = int(note.split("\n")[1]) if note.count("\n") >= 2 else 0
        return len(entries), size

    def seal(self, writer: ArchiveWriter) -> None:
        """The manifest, then the proof of a ledger entry recording its SHA-256."""
        manifest = writer.write_manifest()
        with self.ctx.session() as s:
            s.emit(
                CaseExportSealed(
                    case_id=self.case.case_id,
                    export_id=self.export_id,
                    manifest_sha256=hashlib.sha256(manifest).hexdigest(),
                )
            )
        ledger = self.ctx.ledger
        ledger.integrate()
        ledger.checkpoint()
        sealed = [
            d.entry_id
            for d in ledger.entries_of_kinds(CaseExportSealed.kind)
            if json.loads(d.record_text).get("data", {}).get("export_id") == self.export_id
        ]
        writer.add_unlisted(SEAL, ledger.prove(sealed[-1]).encode())

    def _own_entries(self, ledger: Ledger) -> Iterator[int]:
        """This case's ``case.create`` and ``case.add`` entries and this export's."""
        for d in ledger.entries_of_kinds("case.create", "case.add", "case.export"):
            data = json.loads(d.record_text).get("data", {})
            if data.get("case_id") != self.case.case_id:
                continue
            if d.kind != "case.export" or data.get("export_id") == self.export_id:
                yield d.entry_id

    def failed(self, exc: BaseException) -> None:
        """Ledger the abandoned export, also after ``case.export`` was committed (then the
        archive was never delivered). Best effort: the original error is what matters."""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        try:
            with self.ctx.session() as s:
                s.emit(
                    CaseExportFailed(
                        case_id=self.case.case_id,
                        export_id=self.export_id,
                        recipient=self.recipients.text,
                        reason=str(reason)[:500],
                        vault_ids=tuple(self.read),
                        by=self.principal.name,
                    )
                )
        except Exception:
            log.exception("could not ledger the failed export %s", self.export_id)


def export_case(
    ctx: ExportContext,
    sources: CaseSources,
    name: str,
    *,
    recipient: str,
    out: Path,
    principal: Principal,
    opener: Opener = _create,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write case ``name`` as one archive at ``out``, encrypted to ``recipient``.

    Only ``admin`` or ``investigator`` may export. A malformed recipient, an existing
    ``out`` or an empty case is refused before anything is read. ``progress`` gets (evidence
    files done, total). Raises :class:`InputError` when the archive cannot be written (e.g.
    the disk is full); then nothing is left at ``out``.
    """
    principal.require(*CASE_ROLES)
    recipients = parse_recipients(recipient)
    if out.exists():
        raise ConflictError(f"{out} exists", hint="choose another --out, or move that file away")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent} is not a folder", hint="create it, or choose another --out")
    with ctx.session() as s:
        case = _repo.get(s, name)
    if not case.items:
        raise InputError(
            f"case {name!r} has no items", hint=f"add some: amparo case add {name} ITEM..."
        )
    job = _Export(ctx, sources, case, recipients, principal, progress)
    partial = out.with_name(f".{out.name}.{job.export_id[:8]}.partial")
    writer: ArchiveWriter | None = None
    try:
        with (
            tempfile.TemporaryDirectory(prefix=".amparo-case-", dir=out.parent) as tmp,
            opener(partial) as f,
        ):
            writer = ArchiveWriter(f, f"amparo-case-{job.export_id[:8]}", job.now.timestamp())
            digest, evidence, _ = job.content(writer, Path(tmp))
            proofs, size = job.proofs(writer, evidence)
            job.seal(writer)
            writer.close()
            f.flush()
            with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
                os.fsync(f.fileno())
        os.replace(partial, out)
    except BaseException as exc:
        if writer is not None:
            writer.abandon()
        partial.unlink(missing_ok=True)
        job.failed(exc)
        if isinstance(exc, OSError):
            raise InputError(
                f"cannot write the archive {out}: {exc.strerror or exc}; nothing was left behind",
                hint="free space on that disk, or choose another --out",
            ) from None
        raise
    assert writer is not None
    return ExportReport(
        path=str(out),
        export_id=job.export_id,
        files=len(writer.files) + 2,
        evidence_files=len(evidence),
        proofs=proofs,
        checkpoint_size=size,
        case_json_sha256=digest,
    )
