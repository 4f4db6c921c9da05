"""API-key authentication: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from amparo.api._deps import AmparoDep
from amparo.auth import Principal, authenticate

__all__ = ["require_role"]

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


def _principal(
    request: Request,
    amparo: AmparoDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Principal:
    presented = header or (bearer.credentials if bearer else None)
    with amparo.session() as session:
        principal = authenticate(session, presented)
    request.state.principal = principal
    return principal


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency that authenticates the key and checks its role (admin passes always)."""

    def dependency(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        principal.require(*roles)
        return principal

    return dependency
