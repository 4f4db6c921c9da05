"""The ``amparo`` command line.

Exit codes: 0 ok (nothing matched), 1 a match was found (``amparo match``/``scan``), 2 a
usage or input error, 3 the ledger failed verification, 4 an unexpected error.
"""

from amparo.cli._app import app, main

__all__ = ["app", "main"]
