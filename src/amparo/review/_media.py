"""What a reviewer's browser gets of an item's media: previews rendered by the server.

The original bytes never leave the server from here. By default a reviewer sees a
**blurred, greyscale** preview: the first frame decoded (through :mod:`amparo.media`'s limits)
at a fraction of its size, shrunk to :data:`BLUR_SIDE` pixels, blown up and blurred — the
layout of a picture, none of its detail. :func:`reveal_item` renders one item unblurred, in
colour, still as one still frame (an animation never plays), after checking the person's
role, their claim and their exposure in this shift, and ledgers the reveal.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from PIL import Image, ImageFilter
from sqlalchemy.orm import Session

from amparo import media
from amparo.auth import Principal
from amparo.config import MediaLimits
from amparo.errors import ConflictError, NotFoundError
from amparo.review import _repo
from amparo.review._events import ReviewRevealed
from amparo.review._model import ExposureCapError, ExposurePolicy, MediaSource, ReviewItem
from amparo.review._service import get_item, require_media_role
from amparo.store import UnitOfWork, utcnow

__all__ = [
    "BLUR_SIDE",
    "PREVIEW_SIDE",
    "blurred_preview",
    "render_preview",
    "reveal_item",
    "reveals_left",
]

BLUR_SIDE = 24
"""Pixels along the longer side of what a blurred preview is made of."""
PREVIEW_SIDE = 640
"""Longest side of a preview, in pixels."""


def render_preview(data: bytes, limits: MediaLimits, *, blurred: bool) -> bytes:
    """A PNG preview of the first frame of ``data``: blurred and greyscale, or clear.

    Raises :mod:`amparo.media`'s errors for media it cannot decode within ``limits``.
    """
    decoded = media.decode(data, limits, min_side=PREVIEW_SIDE, grayscale=blurred)
    image = media.displayable(decoded.image)
    if blurred:
        image = image.convert("L")
        small = image.copy()
        small.thumbnail((BLUR_SIDE, BLUR_SIDE), Image.Resampling.BOX)
        width, height = _fit(image.size, PREVIEW_SIDE)
        image = small.resize((width, height), Image.Resampling.BILINEAR).filter(
            ImageFilter.GaussianBlur(radius=max(width, height) / 40)
        )
    else:
        image = image.convert("RGB")
        image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = side / max(width, height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _evidence(item: ReviewItem) -> str:
    if item.evidence_id is None:
        raise NotFoundError(
            f"review item {item.id} has no preserved media",
            hint="decide it from its signals and matches",
        )
    return item.evidence_id


def blurred_preview(
    session: UnitOfWork,
    item_id: int,
    *,
    principal: Principal,
    source: MediaSource,
    limits: MediaLimits,
) -> bytes:
    """The blurred, greyscale PNG preview of an item's media (reviewers and admins only)."""
    require_media_role(principal)
    item = get_item(session, item_id)
    data = source.read(
        session,
        _evidence(item),
        principal=principal,
        reason=f"review item {item.id}: blurred preview",
    )
    return render_preview(data, limits, blurred=True)


def reveals_left(
    session: Session, principal: Principal, policy: ExposurePolicy, now: datetime | None = None
) -> int:
    """How many more items ``principal`` may reveal in this shift."""
    since = (now or utcnow()) - timedelta(hours=policy.shift_hours)
    return max(0, policy.max_reveals - _repo.count_reveals(session, principal.actor, since))


def reveal_item(
    uow: UnitOfWork,
    item_id: int,
    *,
    principal: Principal,
    source: MediaSource,
    limits: MediaLimits,
    exposure: ExposurePolicy,
    now: datetime | None = None,
) -> bytes:
    """One item's media unblurred, in colour, as a still PNG; ledgered as a reveal.

    Only a reviewer or admin (:class:`PermissionDeniedError`), only on an open item they hold
    a live claim on (:class:`ConflictError`), only while under their shift's cap
    (:class:`ExposureCapError`).
    """
    require_media_role(principal)
    now = now or utcnow()
    item = get_item(uow, item_id)
    evidence_id = _evidence(item)
    if item.status != "open" or not item.held_by(principal, now):
        raise ConflictError(
            f"review item {item_id} is not claimed by you",
            hint="claim it first ('c'); decided items cannot be revealed",
        )
    left = reveals_left(uow, principal, exposure, now)
    if left <= 0:
        raise ExposureCapError(
            f"you have revealed {exposure.max_reveals} items in this shift, the most allowed",
            hint="decide from the blurred preview and the signals, or hand the item over",
        )
    _repo.record_reveal(uow, item_id, principal.actor, now)
    uow.emit(ReviewRevealed(item_id, evidence_id, principal.actor, exposure.max_reveals - left + 1))
    data = source.read(
        uow, evidence_id, principal=principal, reason=f"review item {item.id}: reveal"
    )
    return render_preview(data, limits, blurred=False)
