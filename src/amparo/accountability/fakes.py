"""Local fake platforms for tests and ``amparo demo``: one HTTP server on 127.0.0.1 that hosts
items on several pretend platforms, each with one behaviour toward notices and checks.

Every item is a benign synthetic image drawn by :mod:`amparo.media.synthetic` from its seed;
the server answers nothing else (its own removal page and status texts aside). It listens on
loopback only and reaches nothing. Time is the caller's ``clock`` (a
:class:`SimulatedClock` in tests and the demo), so "removes after days" takes no real time.

A notice reaches a fake platform by a webhook POST to :meth:`FakePlatforms.webhook_url`, or
in-process through :meth:`FakePlatforms.adapter` (the ``api`` channel). What an item answers
once its platform has had the first notice about it:

=======================  ==============================================================
behaviour                answer
=======================  ==============================================================
``removes_at_once``      404
``removes_after_days``   the image until ``days`` days after the first notice, then 404
``never_removes``        the image
``soft_removes``         200 with an HTML page saying the item was removed
``geo_blocks``           451 (unavailable for legal reasons)
``reuploads``            404, and the same image appears under a new URL
                         (:attr:`FakeItem.reupload_url`), which is removed at once
``rate_limits``          429 with ``Retry-After`` to every other request; the image until
                         ``days`` days after the first notice, then 404
=======================  ==============================================================

Before its first notice every item answers with its image.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

from amparo.accountability._model import Notice
from amparo.errors import InputError
from amparo.media import synthetic

__all__ = [
    "BEHAVIOURS",
    "Behaviour",
    "FakeItem",
    "FakeNoticeAdapter",
    "FakePlatforms",
    "SimulatedClock",
]

Behaviour = Literal[
    "removes_at_once",
    "removes_after_days",
    "never_removes",
    "soft_removes",
    "geo_blocks",
    "reuploads",
    "rate_limits",
]
BEHAVIOURS: tuple[Behaviour, ...] = (
    "removes_at_once",
    "removes_after_days",
    "never_removes",
    "soft_removes",
    "geo_blocks",
    "reuploads",
    "rate_limits",
)
"""Every behaviour a fake platform can have (see the module docstring)."""

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_RETRY_AFTER_SECONDS = 3600
_REMOVAL_PAGE = (
    b"<!doctype html><title>Content removed</title>"
    b"<h1>This content is no longer available</h1>"
    b"<p>It was removed for violating our terms of service.</p>"
)


class SimulatedClock:
    """A clock that stands still until :meth:`advance` moves it. Call it for the time."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise InputError("a simulated clock needs a time zone", hint="start it in UTC")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, by: timedelta) -> datetime:
        """Move the clock on by ``by``; return the new time."""
        with self._lock:
            self._now += by
            return self._now


@dataclass(frozen=True)
class FakeItem:
    """One item a fake platform hosts: where, which image, and where it comes back."""

    platform: str
    url: str
    seed: int
    reupload_url: str | None
    """Where the item appears again after its first notice (``reuploads`` only)."""


@dataclass
class _Hosted:
    platform: str
    behaviour: Behaviour
    days: float
    seed: int
    original: str | None = None  # a re-upload: the path of the item it copies
    noticed_at: datetime | None = None
    requests_since_notice: int = 0


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def _text(status: int, text: str) -> _Answer:
    return _Answer(status, text.encode(), "text/plain; charset=utf-8")


class FakeNoticeAdapter:
    """A :class:`amparo.accountability.NoticeAdapter` that hands notices to the fake
    platforms in-process (the ``api`` channel without a network)."""

    def __init__(self, platforms: FakePlatforms) -> None:
        self._platforms = platforms

    def send(self, notice: Notice) -> str:
        """Record the notice; answer a ticket id, as a reporting API would."""
        return self._platforms.receive(notice.platform, notice.url)


class FakePlatforms:
    """The fake platforms' server on ``127.0.0.1`` (an ephemeral port), started at once.

    :meth:`add_platform` sets a platform's behaviour, :meth:`post` puts a synthetic image
    on it. :attr:`notices` lists ``(platform, url)`` per notice received and
    :attr:`requests` every path requested, in order. Use it as a context manager, or
    :meth:`close` it.
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        width: int = 320,
        height: int = 240,
    ) -> None:
        self.clock = clock
        self.notices: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self._size = (width, height)
        self._behaviours: dict[str, tuple[Behaviour, float]] = {}
        self._items: dict[str, _Hosted] = {}
        self._images: dict[int, bytes] = {}
        self._lock = threading.RLock()  # answer() draws images while it holds it
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-platforms", daemon=True
        )
        self._thread.start()

    # -- setting up --------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The loopback URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def add_platform(self, name: str, behaviour: Behaviour, *, days: float = 2.0) -> None:
        """A platform called ``name`` that treats its items as ``behaviour`` says; ``days``
        is the delay of ``removes_after_days`` and ``rate_limits``."""
        if behaviour not in BEHAVIOURS:
            raise InputError(
                f"no fake behaviour {behaviour!r}", hint="one of: " + ", ".join(BEHAVIOURS)
            )
        if not _NAME.match(name):
            raise InputError(
                f"the fake platform name {name!r} is not valid", hint="use 1-40 of a-z 0-9 -"
            )
        if days < 0:
            raise InputError("days must be 0 or more", hint="e.g. days=2")
        with self._lock:
            self._behaviours[name] = (behaviour, days)

    def hostnames(self, name: str) -> tuple[str, ...]:
        """Host names to configure the platform with: under ``.invalid``, which never
        resolves (items are reached at 127.0.0.1, so sightings name their platform)."""
        return (f"{name}.fake.invalid",)

    def webhook_url(self, name: str) -> str:
        """Where the platform takes notices as webhook POSTs (JSON with a ``url``)."""
        return self.url(f"/notices/{name}")

    def adapter(self) -> FakeNoticeAdapter:
        """A notice adapter that delivers to these platforms in-process."""
        return FakeNoticeAdapter(self)

    def post(self, platform: str, *, seed: int) -> FakeItem:
        """Put the synthetic image drawn from ``seed`` on ``platform``; return where."""
        with self._lock:
            if platform not in self._behaviours:
                raise InputError(f"no fake platform {platform!r}", hint="add_platform it first")
            behaviour, days = self._behaviours[platform]
            number = len(self._items) + 1
            path = f"/{platform}/items/{number}.jpg"
            self._items[path] = _Hosted(platform, behaviour, days, seed)
            reupload = None
            if behaviour == "reuploads":
                reupload = f"/{platform}/items/{number}-again.jpg"
                self._items[reupload] = _Hosted(
                    platform, "removes_at_once", 0.0, seed, original=path
                )
        return FakeItem(platform, self.url(path), seed, self.url(reupload) if reupload else None)

    def image(self, seed: int) -> bytes:
        """The JPEG of ``seed``'s synthetic photo-like image (what items serve)."""
        with self._lock:
            cached = self._images.get(seed)
        if cached is None:
            cached = synthetic.encode(
                synthetic.make("photo_like", *self._size, seed=seed), "JPEG", quality=92
            )
            with self._lock:
                self._images[seed] = cached
        return cached

    # -- what the server does ----------------------------------------------------------

    def receive(self, platform: str, url: str) -> str:
        """Record a notice about ``url`` (at the clock's time, if it is the item's first);
        return a ticket id. Unknown URLs are recorded and change nothing."""
        path = urlsplit(url).path
        now = self.clock()
        with self._lock:
            self.notices.append((platform, url))
            item = self._items.get(path)
            if item is not None and item.noticed_at is None:
                item.noticed_at = now
            return f"FAKE-{len(self.notices)}"

    def answer(self, path: str) -> _Answer:
        """What a GET of ``path`` gets now (see the module docstring)."""
        now = self.clock()
        with self._lock:
            self.requests.append(path)
            item = self._items.get(path)
            if item is None:
                return _text(404, "not found")
            if item.original is not None:  # a re-upload is there once the original is gone
                first = self._items[item.original].noticed_at
                if first is None or first > now:
                    return _text(404, "not found")
            noticed = item.noticed_at
            if noticed is None or noticed > now:
                return self._image(item)
            item.requests_since_notice += 1
            behaviour = item.behaviour
            if behaviour == "rate_limits" and item.requests_since_notice % 2 == 1:
                return _Answer(
                    429,
                    b"too many requests",
                    "text/plain; charset=utf-8",
                    (("Retry-After", str(_RETRY_AFTER_SECONDS)),),
                )
            removed_after = timedelta(days=item.days)
        if behaviour in ("removes_at_once", "reuploads"):
            return _text(404, "not found")
        if behaviour == "soft_removes":
            return _Answer(200, _REMOVAL_PAGE, "text/html; charset=utf-8")
        if behaviour == "geo_blocks":
            return _text(451, "unavailable in your country for legal reasons")
        if behaviour in ("removes_after_days", "rate_limits") and now >= noticed + removed_after:
            return _text(404, "not found")
        return self._image(item)

    def _image(self, item: _Hosted) -> _Answer:
        return _Answer(200, self.image(item.seed), "image/jpeg")

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> FakePlatforms:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


_WEBHOOK_BODY = 64 * 1024


def _handler(platforms: FakePlatforms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send(platforms.answer(urlsplit(self.path).path))

        def do_POST(self) -> None:
            parts = urlsplit(self.path).path.split("/")
            length = int(self.headers.get("Content-Length") or 0)
            if len(parts) != 3 or parts[1] != "notices" or not 0 < length <= _WEBHOOK_BODY:
                self._send(_text(404, "not found"))
                return
            try:
                url = json.loads(self.rfile.read(length))["url"]
            except (ValueError, KeyError, TypeError):
                self._send(_text(400, "a notice is JSON with a url"))
                return
            ticket = platforms.receive(parts[2], str(url))
            body = json.dumps({"ticket": ticket}).encode()
            self._send(_Answer(202, body, "application/json"))

        def _send(self, answer: _Answer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: tests and the demo read what they need from the attributes

    return Handler
