"""FastAPI dependencies: the runtime and the request's principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from amparo.runtime import Amparo

__all__ = ["AmparoDep", "get_amparo"]


def get_amparo(request: Request) -> Amparo:
    amparo: Amparo = request.app.state.amparo
    return amparo


AmparoDep = Annotated[Amparo, Depends(get_amparo)]
