"""Review: queues of scans for people to decide, claims, decisions, and what reviewers see.

A scan the policy sends to review becomes an item (:func:`enqueue_review_later`, in the scan's
own transaction, written with the other items of its group commit in one statement) in a queue,
with a priority and a deadline (its SLA). A reviewer claims an item (:func:`claim_item`; the
claim expires), sees its signals, matches, provenance and the rule that sent it, and decides
(:func:`decide_item`): ``confirmed`` (NCMEC category, a ``generative_ai`` flag),
``false_positive`` (disable the bank entry, or allow-list the hashes; the exchange's feedback
API is used where ``threatexchange`` has one) or ``escalate``.

Media comes only from the evidence vault through a :class:`MediaSource`, and reaches a
browser only as previews rendered here: blurred and greyscale by default; revealed one item
at a time (:func:`reveal_item`), as a still frame, within a per-shift exposure cap. Every
queueing, claim, reveal and decision is a ledger event.
"""

from amparo.review._events import ReviewClaimed, ReviewDecided, ReviewEnqueued, ReviewRevealed
from amparo.review._media import (
    BLUR_SIDE,
    PREVIEW_SIDE,
    blurred_preview,
    render_preview,
    reveal_item,
    reveals_left,
)
from amparo.review._model import (
    CONFIRMED_CATEGORIES,
    DECISIONS,
    FP_ACTIONS,
    AlreadyDecidedError,
    ClaimConflictError,
    ExposureCapError,
    ExposurePolicy,
    MediaSource,
    QueueSummary,
    ReviewItem,
    Verdict,
    check_queue,
)
from amparo.review._service import (
    ESCALATION_QUEUE,
    REVIEW_ROLES,
    claim_item,
    decide_item,
    enqueue_review,
    enqueue_review_later,
    get_item,
    item_scan,
    list_items,
    list_queues,
    require_media_role,
)

__all__ = [
    "BLUR_SIDE",
    "CONFIRMED_CATEGORIES",
    "DECISIONS",
    "ESCALATION_QUEUE",
    "FP_ACTIONS",
    "PREVIEW_SIDE",
    "REVIEW_ROLES",
    "AlreadyDecidedError",
    "ClaimConflictError",
    "ExposureCapError",
    "ExposurePolicy",
    "MediaSource",
    "QueueSummary",
    "ReviewClaimed",
    "ReviewDecided",
    "ReviewEnqueued",
    "ReviewItem",
    "ReviewRevealed",
    "Verdict",
    "blurred_preview",
    "check_queue",
    "claim_item",
    "decide_item",
    "enqueue_review",
    "enqueue_review_later",
    "get_item",
    "item_scan",
    "list_items",
    "list_queues",
    "render_preview",
    "require_media_role",
    "reveal_item",
    "reveals_left",
]
