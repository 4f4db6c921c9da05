"""The HMA routes: the lookups (``/m``), and the rest gathered in one router."""

from __future__ import annotations

from fastapi import APIRouter

from amparo.api.hma import _banks, _content, _hashing, _matching

__all__ = ["lookup_router", "router"]

lookup_router = _matching.router
"""``/m``: for the top level of the app (see :func:`amparo.api.create_app`)."""

router = APIRouter()
for _module in (_hashing, _banks, _content):
    router.include_router(_module.router)
