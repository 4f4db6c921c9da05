"""The route class of every Amparo route: checks the text of a multipart form.

The gate (:mod:`amparo.api._gate`) checks the URL and every body that is not multipart
before any route runs; a multipart body streams past it into Starlette's form parser
(spooled to a temporary file, never held whole). Once that parser is done, and before the
route or FastAPI's own parameter parsing sees the form, this class checks every field name,
text value and file name against :mod:`amparo.inputs`' rules, and closes the form (its
spooled files) after the route, whether the route read it or not.

Every router sets ``route_class=GuardedRoute`` (or a subclass, like HMA's); a test holds
every route of the app to it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile

from amparo import inputs

__all__ = ["MAX_FORM_PARTS", "GuardedRoute", "check_form"]

MAX_FORM_PARTS = 16
"""Most files, and most other fields, one form may carry (a batch scan's 16 files)."""


def check_form(form: FormData) -> None:
    """Every field name, text value and file name of ``form`` is storable text."""
    for name, value in form.multi_items():
        inputs.check_text(name, what="a form field name")
        if isinstance(value, UploadFile):
            if value.filename is not None:
                inputs.check_text(value.filename, what=f"the file name in field {name!r}")
        else:
            inputs.check_text(value, what=f"form field {name!r}")


class GuardedRoute(APIRoute):
    """An ``APIRoute`` whose multipart forms are checked before, and closed after, the route
    (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                if request.headers.get("content-type", "").startswith("multipart/form-data"):
                    # Parsed once here; FastAPI and the route get this same form back.
                    form = await request.form(max_files=MAX_FORM_PARTS, max_fields=MAX_FORM_PARTS)
                    check_form(form)
                return await handler(request)
            finally:
                await request.close()

        return guarded
