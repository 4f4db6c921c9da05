"""The API's docs pages, Swagger UI (``/docs``) and ReDoc (``/redoc``), with every asset
served by Amparo itself from the ``fastapi-offline`` package (Swagger UI and ReDoc bundles):
FastAPI's own pages load them from a CDN, and show blank where it cannot be reached (an
air-gapped deployment, a strict content security policy).

The pages reference nothing outside the server: no CDN, no Google fonts, no Swagger UI
validator badge (``validatorUrl`` off). Like the OpenAPI description, they and their assets
need no key (``/docs/...`` is public in the gate).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from amparo.api._gate import GuardedRoute

__all__ = ["ASSETS", "install_docs"]

ASSETS = "/docs/assets"
"""Where the Swagger UI and ReDoc files are served."""
_OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and their assets on ``app``
    (made with ``docs_url=None, redoc_url=None``)."""
    bundles = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(bundles)), name="docs-assets")
    router = APIRouter(route_class=GuardedRoute, include_in_schema=False)
    openapi_url = app.openapi_url or "/openapi.json"

    @router.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            oauth2_redirect_url=_OAUTH2_REDIRECT,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @router.get(_OAUTH2_REDIRECT)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.include_router(router)
