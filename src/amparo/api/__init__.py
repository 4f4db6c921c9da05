"""The HTTP API (FastAPI): :func:`create_app` for Amparo (``amparo serve``) and
:func:`create_witness_app` for a witness (``amparo witness serve``)."""

from amparo.api._app import app_from_environment, create_app
from amparo.api._witness import create_witness_app

__all__ = ["app_from_environment", "create_app", "create_witness_app"]
