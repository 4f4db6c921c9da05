"""Action routes: the outbox of webhooks and their endpoints. Admin only, except reading the
outbox, which auditors may do too. Endpoint secrets go out once, when generated.

A running server delivers; ``POST /v1/actions/retry`` puts dead-lettered actions back in
the outbox and wakes the deliverer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from amparo import actions
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/actions", tags=["actions"], route_class=GuardedRoute)

Admin = Annotated[Principal, Depends(require_role("admin"))]
Reader = Annotated[Principal, Depends(require_role("auditor"))]


def _by(principal: Principal) -> str:
    return f"key {principal.name} (#{principal.key_id})"


class EndpointCreate(BaseModel):
    name: str = Field(description="1-64 of A-Z a-z 0-9 _ . -", examples=["trust-and-safety"])
    url: str = Field(
        description="Where to POST: https:// (http:// only with AMPARO_UNSAFE_WEBHOOK_HTTP), "
        "to public addresses or networks in AMPARO_WEBHOOK_ALLOWED_NETWORKS",
        examples=["https://hooks.example.org/amparo"],
    )
    secret: str | None = Field(
        None,
        description="Signing secret (whsec_ + base64 of 24-64 bytes). Default: generated and "
        "returned once in the answer.",
    )
    enabled: bool = True


class EndpointToggle(BaseModel):
    enabled: bool


class RetryRequest(BaseModel):
    ids: list[str] = Field(default_factory=list, description="Dead actions to send again")
    all_dead: bool = Field(False, description="Send every dead action again")


@router.get(
    "",
    summary="List actions, newest first",
    description="Each action: id (its webhook-id), event type, endpoint, status (pending, "
    "delivered, dead), tries, next try, last error, payload.",
)
def list_(
    amparo: RuntimeDep,
    _: Reader,
    status: Annotated[
        Literal["pending", "delivered", "dead"] | None, Query(description="Only this state")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many")] = 100,
) -> list[dict[str, object]]:
    with amparo.session() as s:
        return [a.to_dict() for a in actions.list_actions(s, status=status, limit=limit)]


@router.post(
    "/retry",
    summary="Send dead-lettered actions again",
    description="Give ids, or all_dead=true. Each gets a fresh set of tries; 409 if one is "
    "not dead or its endpoint was removed (then none is retried).",
)
def retry(body: RetryRequest, amparo: RuntimeDep, principal: Admin) -> dict[str, object]:
    with amparo.session() as s:
        retried = actions.retry_actions(s, body.ids, all_dead=body.all_dead, by=_by(principal))
    return {"retried": retried}


@router.get("/endpoints", summary="List webhook endpoints (never their secrets)")
def endpoints(amparo: RuntimeDep, _: Admin) -> list[dict[str, object]]:
    with amparo.session() as s:
        return [e.to_dict() for e in actions.list_endpoints(s)]


@router.post(
    "/endpoints",
    status_code=201,
    summary="Add a webhook endpoint",
    description="Answers the endpoint and its signing secret: the only time it is shown.",
)
def add_endpoint(body: EndpointCreate, amparo: RuntimeDep, principal: Admin) -> dict[str, object]:
    box = amparo.credential_box()
    with amparo.session() as s:
        endpoint, secret = actions.create_endpoint(
            s,
            body.name,
            body.url,
            box=box,
            policy=amparo.deliverer.options.policy,
            by=_by(principal),
            secret=body.secret,
            enabled=body.enabled,
        )
    return {**endpoint.to_dict(), "secret": secret}


@router.patch("/endpoints/{name}", summary="Enable or disable a webhook endpoint")
def toggle_endpoint(
    name: str, body: EndpointToggle, amparo: RuntimeDep, principal: Admin
) -> dict[str, object]:
    with amparo.session() as s:
        return actions.set_endpoint_enabled(s, name, body.enabled, by=_by(principal)).to_dict()


@router.delete(
    "/endpoints/{name}",
    summary="Remove a webhook endpoint",
    description="Its pending actions go to the dead letter (counted in the answer).",
)
def remove_endpoint(name: str, amparo: RuntimeDep, principal: Admin) -> dict[str, object]:
    with amparo.session() as s:
        dropped = actions.remove_endpoint(s, name, by=_by(principal))
    return {"deleted": True, "dead_lettered": dropped}
