"""The witness over HTTP (``amparo witness serve``): ``POST /add-checkpoint`` only."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from amparo import ledger
from amparo.errors import ConfigError
from amparo.ledger import Signer, Verifier
from amparo.store import WitnessStore

__all__ = ["create_witness_app"]

_MAX_BODY = 64 * 1024


def create_witness_app(signer: Signer, logs: Sequence[Verifier], state: WitnessStore) -> FastAPI:
    """A C2SP tlog-witness for ``logs``, cosigning with ``signer``, remembering in ``state``."""
    if signer.alg != ledger.ALG_COSIGNATURE_V1:
        raise ConfigError(
            "a witness key must be a cosignature key",
            hint="make one with `amparo ledger keygen --witness`",
        )
    app = FastAPI(title="Amparo witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():  # bounded: never read past the limit
            body.extend(chunk)
            if len(body) > _MAX_BODY:
                return Response(b"request too large\n", 400, media_type="text/plain")
        result = await run_in_threadpool(ledger.add_checkpoint, state, signer, logs, bytes(body))
        # Set the header itself: Starlette would append a charset to text/x.tlog.size.
        headers = {"content-type": result.content_type}
        return Response(result.body.encode(), result.status, headers=headers)

    return app
