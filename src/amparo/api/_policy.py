"""The policy that decides every scan: ``GET /v1/policy`` (auditors) and ``PUT /v1/policy``
(admins: the body is the TOML text; checked, stored as a new version, activated)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal
from amparo.errors import InputError
from amparo.usecases import activate_policy, active_policy_view, policy_text

__all__ = ["router"]

router = APIRouter(prefix="/v1/policy", tags=["policy"], route_class=GuardedRoute)

Auditor = Annotated[Principal, Depends(require_role("auditor"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]

_TOML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The policy file itself (TOML, UTF-8, at most 1 MiB).",
        "content": {
            "application/toml": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


class PolicyOut(BaseModel):
    version: int | None = Field(description="The stored version; null for the built-in policy")
    name: str
    sha256: str = Field(description="SHA-256 of the exact text (also in the ledger)")
    builtin: bool = Field(description="True until a policy is activated")
    activated_at: str | None = Field(description="When it was activated (UTC, ISO 8601)")
    activated_by: str | None = Field(description="Who activated it (API key or CLI user)")
    rules: int = Field(description="Number of rules")
    text: str = Field(description="The policy file (TOML)")


@router.get(
    "",
    response_model=PolicyOut,
    summary="The active policy: version, text, when and by whom it was activated",
)
def get_policy(amparo: RuntimeDep, _: Auditor) -> dict[str, Any]:
    return active_policy_view(amparo)


@router.put(
    "",
    response_model=PolicyOut,
    summary="Check a policy (TOML body), store it as a new version and activate it (admins)",
    description="The body is the policy file. An invalid policy is refused with 400 "
    "`invalid_policy` and `errors` (each with its `line` and `message`): unknown fields, "
    "conditions or actions, wrong types, rules that can never fire, no default rule. "
    "Activation is recorded in the ledger (`policy.activate`, with the text's SHA-256). "
    "This server decides its next scan by it; other replicas within "
    "AMPARO_INDEX_REFRESH_SECONDS. Sending the active text again changes nothing.",
    openapi_extra=_TOML_BODY,
)
async def put_policy(request: Request, amparo: RuntimeDep, principal: Admin) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("multipart/"):
        raise InputError(
            "send the policy as the body itself, not as a form",
            hint="e.g. curl -X PUT --data-binary @policy.toml -H 'Content-Type: "
            "application/toml' .../v1/policy",
        )
    text = policy_text(await request.body(), source="the body")
    actor = f"key {principal.key_id} ({principal.name})"
    view: dict[str, Any] = await run_in_threadpool(
        activate_policy, amparo, text, actor=actor, source="the policy"
    )
    return view
