"""The console's pages: log in, the queue, an item (blurred, or revealed), decide, breaks.

Server-rendered (Jinja2); its one script and one stylesheet are served from the package
(no CDN). Every page is sent with a strict Content-Security-Policy (scripts, styles and
images from Amparo itself only; previews as ``data:`` images), ``no-store`` caching and no
referrer. Every form carries the session's CSRF token and is checked before it acts.
Errors are pages in the console's own look, with the status of the error.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from amparo import accounts, review
from amparo.auth import Principal
from amparo.errors import AmparoError, InputError, NotFoundError, PermissionDeniedError
from amparo.runtime import Runtime
from amparo.store import utcnow
from amparo.web._auth import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    check_csrf,
    cookie_value,
    new_token,
)

__all__ = ["Console"]

_HERE = Path(__file__).parent
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_FORM_FIELDS = 16
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class Console:
    """The console as an ASGI app (:attr:`app`) over a runtime and a media source.

    ``media`` is the evidence vault's :class:`amparo.review.MediaSource`; without one, items
    show their signals and matches but no preview.
    """

    def __init__(self, runtime: Runtime, media: review.MediaSource | None = None) -> None:
        self.runtime = runtime
        self.media = media
        settings = runtime.settings
        self.exposure = review.ExposurePolicy(
            settings.review_max_reveals_per_shift, settings.review_shift_hours
        )
        self.breaks = accounts.BreakPolicy(
            settings.review_break_after_items,
            settings.review_break_after_minutes,
            settings.review_break_minutes,
        )
        self.logins = accounts.LoginPolicy(
            settings.review_max_failed_logins,
            settings.review_lockout_seconds,
            settings.review_session_hours * 3600,
        )
        self.templates = Environment(
            loader=FileSystemLoader(_HERE / "templates"),
            autoescape=select_autoescape(default=True),
        )
        self.app = Starlette(
            routes=[
                Route("/login", self.login_page, methods=["GET"]),
                Route("/login", self.login, methods=["POST"]),
                Route("/logout", self.logout, methods=["POST"]),
                Route("/", self.queue, methods=["GET"]),
                Route("/break", self.break_page, methods=["GET"]),
                Route("/items/{item_id}", self.item_page, methods=["GET"]),
                Route("/items/{item_id}/claim", self.claim, methods=["POST"]),
                Route("/items/{item_id}/reveal", self.reveal, methods=["POST"]),
                Route("/items/{item_id}/decide", self.decide, methods=["POST"]),
                Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
            ],
            exception_handlers={
                AmparoError: self._error,
                HTTPException: self._http_error,
                Exception: self._unexpected,
            },
        )

    # -- rendering ----------------------------------------------------------------------

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(name).render(prefix=PREFIX, **context)
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    async def _error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AmparoError)
        view = getattr(request.state, "console", None)
        return self.page(
            "error.html",
            exc.status_code,
            error=exc.code,
            message=exc.message,
            hint=exc.hint,
            view=view,
        )

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return self.page("error.html", exc.status_code, error="error", message=message, hint="")

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        return self.page(
            "error.html",
            500,
            error="internal_error",
            message="the server failed on this request",
            hint="the server's log has the details",
        )

    # -- helpers ------------------------------------------------------------------------

    def _view(self, request: Request) -> accounts.SessionView:
        view: accounts.SessionView = request.state.console
        return view

    def _reviewer(self, request: Request) -> tuple[accounts.SessionView, Principal]:
        view = self._view(request)
        principal = view.user.principal()
        review.require_media_role(principal)
        return view, principal

    def _on_break(self, view: accounts.SessionView, now: datetime) -> bool:
        return view.break_until is not None and view.break_until > now

    async def _form(self, request: Request, view: accounts.SessionView) -> dict[str, str]:
        form = await request.form(max_files=0, max_fields=_FORM_FIELDS)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        check_csrf(view.csrf, fields.get("csrf"))
        return fields

    @staticmethod
    def _item_id(request: Request) -> int:
        raw = request.path_params["item_id"]
        if not raw.isdigit() or not 0 < int(raw) < 2**63:
            raise NotFoundError(f"no review item {raw[:30]!r}", hint="go back to the queue")
        return int(raw)

    def _to(self, path: str) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}{path}", status_code=303, headers=_HEADERS)

    # -- login --------------------------------------------------------------------------

    async def login_page(self, request: Request, error: AmparoError | None = None) -> Response:
        token = new_token()
        response = self.page(
            "login.html",
            error.status_code if error else 200,
            csrf=token,
            error=error.message if error else None,
            hint=error.hint if error else None,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            max_age=3600,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response

    async def login(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=_FORM_FIELDS)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        check_csrf(cookie_value(request.headers, LOGIN_COOKIE), fields.get("csrf"))
        name, password, code = (fields.get(k, "") for k in ("name", "password", "code"))
        if not name or not password or not code or len(password) > 1024 or len(name) > 64:
            return await self.login_page(
                request, InputError("give your user name, password and one-time code")
            )

        def attempt() -> accounts.LoginOutcome:
            with self.runtime.session() as uow:
                return accounts.login(
                    uow,
                    name=name,
                    password=password,
                    code=code,
                    box=self.runtime.credential_box(),
                    policy=self.logins,
                )

        outcome = await run_in_threadpool(attempt)
        if outcome.error is not None or outcome.token is None:
            return await self.login_page(request, outcome.error)
        response = self._to("/")
        response.set_cookie(
            SESSION_COOKIE,
            outcome.token,
            max_age=int(self.logins.session_seconds),
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True)
        return response

    async def logout(self, request: Request) -> Response:
        view = self._view(request)
        await self._form(request, view)

        def end() -> None:
            with self.runtime.session() as uow:
                accounts.end_session(uow, view.session_id)

        await run_in_threadpool(end)
        response = self._to("/login")
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
        return response

    # -- pages --------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        view, principal = self._reviewer(request)
        now = utcnow()
        if self._on_break(view, now):
            return self._to("/break")
        queue = request.query_params.get("queue") or None

        def load() -> tuple[list[review.QueueSummary], list[review.ReviewItem], int]:
            with self.runtime.sessions() as s:
                return (
                    review.list_queues(s, now),
                    review.list_items(s, queue=queue, limit=200),
                    review.reveals_left(s, principal, self.exposure, now),
                )

        queues, items, left = await run_in_threadpool(load)
        return self.page(
            "queue.html",
            view=view,
            principal=principal,
            queues=queues,
            queue=queue,
            items=[i.to_dict(now) for i in items],
            reveals_left=left,
            now=now,
        )

    async def break_page(self, request: Request) -> Response:
        view = self._view(request)
        now = utcnow()
        if not self._on_break(view, now):
            return self._to("/")
        assert view.break_until is not None
        seconds = int((view.break_until - now).total_seconds()) + 1
        return self.page("break.html", view=view, seconds=seconds, until=view.break_until)

    async def item_page(self, request: Request, revealed: bytes | None = None) -> Response:
        """An item: its facts, and its media blurred (or ``revealed``, once, by a reveal)."""
        view, principal = self._reviewer(request)
        now = utcnow()
        if self._on_break(view, now):
            return self._to("/break")
        item_id = self._item_id(request)

        def load() -> dict[str, Any]:
            with self.runtime.sessions() as s:
                item = review.get_item(s, item_id)
                scan = review.item_scan(s, item)
                preview, problem = None, None
                if revealed is None and self.media is not None and item.evidence_id:
                    try:
                        preview = review.blurred_preview(
                            s,
                            item_id,
                            principal=principal,
                            source=self.media,
                            limits=self.runtime.settings.media,
                        )
                    except AmparoError as exc:
                        problem = exc.message
                elif self.media is None:
                    problem = "no evidence vault is connected: previews are unavailable"
                elif not item.evidence_id:
                    problem = "no media was preserved for this item"
                neighbours = review.list_items(s, queue=None, limit=200)
                return {
                    "item": item.to_dict(now),
                    "held": item.status == "open" and item.held_by(principal, now),
                    "scan": scan.to_dict() if scan else None,
                    "preview": preview,
                    "problem": problem,
                    "ids": [i.id for i in neighbours],
                    "reveals_left": review.reveals_left(s, principal, self.exposure, now),
                }

        data = await run_in_threadpool(load)
        ids: list[int] = data.pop("ids")
        position = ids.index(item_id) if item_id in ids else -1
        preview = data.pop("preview")
        image = revealed if revealed is not None else preview
        return self.page(
            "item.html",
            view=view,
            principal=principal,
            image=base64.b64encode(image).decode() if image else None,
            revealed=revealed is not None,
            previous=ids[position - 1] if position > 0 else None,
            next=ids[position + 1] if 0 <= position < len(ids) - 1 else None,
            categories=review.CONFIRMED_CATEGORIES,
            **data,
        )

    # -- actions ------------------------------------------------------------------------

    def _work(self, view: accounts.SessionView, *, decided: bool) -> None:
        with self.runtime.session() as uow:
            accounts.note_work(uow, view.user.id, self.breaks, decided=decided)

    async def claim(self, request: Request) -> Response:
        view, principal = self._reviewer(request)
        await self._form(request, view)
        if self._on_break(view, utcnow()):
            return self._to("/break")
        item_id = self._item_id(request)

        def act() -> None:
            with self.runtime.session() as uow:
                review.claim_item(
                    uow,
                    item_id,
                    principal=principal,
                    claim_seconds=self.runtime.settings.review_claim_seconds,
                )
            self._work(view, decided=False)

        await run_in_threadpool(act)
        return self._to(f"/items/{item_id}")

    async def reveal(self, request: Request) -> Response:
        view, principal = self._reviewer(request)
        await self._form(request, view)
        if self._on_break(view, utcnow()):
            return self._to("/break")
        item_id = self._item_id(request)
        media = self.media
        if media is None:
            raise PermissionDeniedError(
                "no evidence vault is connected: nothing can be revealed",
                hint="ask the operator to connect the evidence vault",
            )

        def act() -> bytes:
            with self.runtime.session() as uow:
                image = review.reveal_item(
                    uow,
                    item_id,
                    principal=principal,
                    source=media,
                    limits=self.runtime.settings.media,
                    exposure=self.exposure,
                )
            self._work(view, decided=False)
            return image

        image = await run_in_threadpool(act)
        return await self.item_page(request, revealed=image)

    async def decide(self, request: Request) -> Response:
        view, principal = self._reviewer(request)
        fields = await self._form(request, view)
        if self._on_break(view, utcnow()):
            return self._to("/break")
        item_id = self._item_id(request)
        verdict = _verdict(fields)

        def act() -> datetime | None:
            with self.runtime.session() as uow:
                review.decide_item(
                    uow,
                    item_id,
                    verdict,
                    principal=principal,
                    allow_list_bank=self.runtime.settings.review_allow_list_bank,
                )
                return accounts.note_work(uow, view.user.id, self.breaks, decided=True)

        until = await run_in_threadpool(act)
        return self._to("/break" if until is not None else "/")


def _verdict(fields: dict[str, str]) -> review.Verdict:
    decision = fields.get("decision", "")
    if decision not in review.DECISIONS:
        raise InputError(
            f"unknown decision {decision[:30]!r}",
            hint="press 1 (confirmed), 2 or 3 (false positive), 4 (escalate)",
        )
    category = fields.get("category") or None
    if decision == "confirmed" and category is None:
        raise InputError(
            "choose the NCMEC category before confirming",
            hint="pick A1, A2, B1 or B2, then press 1",
        )
    return review.Verdict(
        decision=decision,  # type: ignore[arg-type]  # checked against DECISIONS above
        category=category if decision == "confirmed" else None,
        generative_ai=decision == "confirmed" and fields.get("generative_ai") == "on",
        action=fields.get("action") or None,  # type: ignore[arg-type]  # Verdict.checked()
        note=fields.get("note") or None,
    )
