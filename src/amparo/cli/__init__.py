"""The ``amparo`` command line.

Exit codes: 0 ok (nothing matched), 1 a match was found (``amparo match``/``scan``, even if
another file failed), 2 an expected failure (usage, input, settings, an unreachable
database), 3 the ledger failed verification, 4 an unexpected error (its traceback goes to a
log file in the data directory), 130 interrupted. See ``amparo.cli._common``.
"""

from amparo.cli._app import app, main

__all__ = ["app", "main"]
