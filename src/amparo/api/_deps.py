"""FastAPI dependencies: the runtime and the caller's role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer

from amparo.auth import Principal
from amparo.errors import AuthenticationError
from amparo.runtime import Runtime

__all__ = ["RuntimeDep", "get_runtime", "require_role"]


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.amparo
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# Declared for the OpenAPI description only: the key is checked by the app's gate before
# the body is read, and the principal handed over in request.state.
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


def _principal(
    request: Request,
    _bearer_key: Annotated[object, Depends(_bearer)],
    _header_key: Annotated[object, Depends(_header)],
) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # only reachable for a route wrongly listed as public
        raise AuthenticationError("an API key is required")
    return principal


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency: the caller's principal, if its role is one of ``roles`` (or admin)."""

    def dependency(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        principal.require(*roles)
        return principal

    return dependency
