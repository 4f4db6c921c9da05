"""The HMA routes gathered in one router."""

from __future__ import annotations

from fastapi import APIRouter

from amparo.api.hma import _banks, _content, _hashing, _matching

__all__ = ["router"]

router = APIRouter()
for _module in (_matching, _hashing, _banks, _content):
    router.include_router(_module.router)
