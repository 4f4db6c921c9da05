"""``amparo ledger ...``: keys, checkpoints, proof files and audits of the tamper-evident log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from amparo import ledger
from amparo.cli._common import AmparoGroup, err, runtime
from amparo.errors import InputError, NotFoundError
from amparo.ledger import Ledger, Verifier

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup, no_args_is_help=True, help="The tamper-evident ledger: proofs and audits."
)

VkeyOpt = Annotated[str, typer.Option("--vkey", help="The log's verifier key (name+id+key).")]
WitnessOpt = Annotated[
    list[str] | None,
    typer.Option("--witness-vkey", help="Require a cosignature by this witness (repeatable)."),
]


def _vkey(value: str) -> Verifier:
    try:
        return ledger.parse_vkey(value)
    except ValueError as exc:
        raise InputError(f"bad verifier key: {exc}") from None


def _ledger(ctx: typer.Context) -> Ledger:
    return runtime(ctx).ledger


@app.command("keygen")
def keygen(
    name: Annotated[
        str, typer.Argument(help="Log origin (e.g. example.org/amparo) or witness name.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (0600).")],
    witness: Annotated[
        bool, typer.Option("--witness", help="Make a witness cosigning key (type 0x04).")
    ] = False,
) -> None:
    """Generate a signing key; print its public verifier key (vkey) to publish."""
    alg = ledger.ALG_COSIGNATURE_V1 if witness else ledger.ALG_ED25519
    try:
        signer = ledger.generate_signer(name, alg)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    ledger.write_signer(out, signer)
    err.print(f"private key written to {out}; publish this verifier key:")
    print(signer.verifier.vkey)


@app.command("vkey")
def vkey(ctx: typer.Context) -> None:
    """Print this log's verifier key (give it to auditors, witnesses and prosecutors)."""
    signer = _ledger(ctx).signer
    if signer is None:
        raise NotFoundError("this ledger has no signing key", hint="set AMPARO_LEDGER_KEY_FILE")
    print(signer.verifier.vkey)


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Integrate committed entries and sign (and have witnessed) a new checkpoint."""
    log = _ledger(ctx)
    log.integrate()
    print(log.checkpoint(), end="")


@app.command("prove")
def prove(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="The entry's sequence number.")],
) -> None:
    """Write a tlog-proof file for one entry (with its disclosed record) to stdout."""
    log = _ledger(ctx)
    try:
        text = log.prove(entry_id)
    except NotFoundError:
        log.integrate()
        log.checkpoint()
        text = log.prove(entry_id)
    print(text, end="")


@app.command("disclose")
def disclose(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="The entry's sequence number.")],
) -> None:
    """Print an entry's full record and salt as JSON (for an auditor)."""
    print(json.dumps(_ledger(ctx).disclose(entry_id).to_dict(), indent=2))


@app.command("tallies")
def tallies(ctx: typer.Context) -> None:
    """Print every scan tally (JSON lines) and, on stderr, the total number of scans."""
    total = 0
    for d in _ledger(ctx).tallies():
        total += int(json.loads(d.record_text)["data"]["scans"])
        print(json.dumps(d.to_dict()))
    err.print(f"{total} scan(s) in all")


@app.command("check-proof")
def check_proof(
    proof: Annotated[Path, typer.Argument(help="A proof file from `amparo ledger prove`.")],
    vkey: VkeyOpt,
    witness_vkey: WitnessOpt = None,
) -> None:
    """Verify a proof file offline: signature, cosignatures, record and inclusion."""
    try:
        text = proof.read_text()
    except OSError as exc:
        raise InputError(f"cannot read {proof}: {exc.strerror}") from None
    witnesses = [_vkey(w) for w in witness_vkey or []]
    checked = ledger.check_proof(text, _vkey(vkey), witnesses)
    cp = checked.checkpoint
    err.print(
        f"OK: entry {checked.entry_id} is at index {checked.index} of {cp.origin}, "
        f"in the checkpoint of size {cp.size}"
        + (f", cosigned by {len(checked.witnesses)} witness(es)" if checked.witnesses else ""),
        highlight=False,
        soft_wrap=True,
    )
    print(json.dumps(checked.record, indent=2, ensure_ascii=False))


@app.command("verify")
def verify(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="Audit the log served here (its /ledger prefix).")
    ] = None,
    vkey: Annotated[str | None, typer.Option("--vkey", help="The log's verifier key.")] = None,
    witness_vkey: WitnessOpt = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Where to remember checkpoints seen.")
    ] = None,
    light: Annotated[
        bool,
        typer.Option(
            "--light", help="Check signature and consistency only (O(log n) tiles, no entries)."
        ),
    ] = False,
) -> None:
    """Audit a remote log (--url, --vkey), or recompute the local database's log."""
    witnesses = tuple(_vkey(w) for w in witness_vkey or [])
    if url is not None:
        if vkey is None:
            raise InputError("--url needs --vkey", hint="ask the log operator for its vkey")
        if state_dir is None:
            settings = runtime(ctx).settings
            state_dir = settings.ledger_audit_dir or settings.data_dir / "ledger-audit"
        report = ledger.audit_remote(
            url, _vkey(vkey), state_dir, witness_keys=witnesses, full=not light
        )
        since = (
            f" (extends size {report.previous_size})" if report.previous_size is not None else ""
        )
        checked = "consistent" if light else "all verified"
        err.print(
            f"OK: {report.origin} has {report.size} entries, {checked}{since}",
            soft_wrap=True,
        )
        return
    log = _ledger(ctx)
    local = log.verify_local(_vkey(vkey) if vkey else None)
    err.print(
        f"OK: {local.size} entries and {local.checkpoints} checkpoint(s) verified", soft_wrap=True
    )
