"""``amparo witness serve``: run a C2SP tlog-witness for one or more logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from amparo import ledger
from amparo.cli._common import AmparoGroup, err
from amparo.errors import ConfigError, InputError

__all__ = ["app"]

app = typer.Typer(cls=AmparoGroup, no_args_is_help=True, help="Witness other logs' checkpoints.")


@app.command("serve")
def serve(
    key: Annotated[
        Path, typer.Option("--key", help="Witness key (amparo ledger keygen --witness).")
    ],
    log_vkey: Annotated[
        list[str], typer.Option("--log-vkey", help="A log's verifier key to witness (repeatable).")
    ],
    state: Annotated[
        str,
        typer.Option(
            "--state",
            help="SQLite file (or database URL) keeping the last cosigned checkpoints.",
        ),
    ] = "witness.db",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
) -> None:
    """Serve POST /add-checkpoint: verify, check consistency, store, cosign."""
    import uvicorn

    from amparo.api import create_witness_app
    from amparo.store import WitnessStore

    signer = ledger.load_signer(key)
    if signer.alg != ledger.ALG_COSIGNATURE_V1:
        raise ConfigError(
            f"{key} is not a witness key", hint="use `amparo ledger keygen --witness`"
        )
    try:
        logs = [ledger.parse_vkey(v) for v in log_vkey]
    except ValueError as exc:
        raise InputError(f"bad --log-vkey: {exc}") from None
    url = state if "://" in state else f"sqlite:///{Path(state).resolve()}"
    app_ = create_witness_app(signer, logs, WitnessStore(url))
    err.print(f"witness {signer.verifier.vkey} for {len(logs)} log(s) on http://{host}:{port}")
    uvicorn.run(app_, host=host, port=port, log_level="info")
