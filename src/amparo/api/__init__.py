"""The HTTP API (FastAPI). Build it with :func:`create_app`; serve it with ``amparo serve``."""

from amparo.api._app import create_app

__all__ = ["create_app"]
