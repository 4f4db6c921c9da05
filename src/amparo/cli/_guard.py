"""Every command's arguments and options, checked by :mod:`amparo.inputs`' rules before the
command runs: the CLI's one edge check, as the gate is the HTTP API's.

Text (options, arguments, and paths, whose names a scan records) must be storable — no NUL,
no lone surrogate, which is what ``surrogateescape`` makes of a name that is not UTF-8 — and
integers must fit in 64 bits. :func:`guard` is applied to each command as it is loaded
(``cli/_app.py``), so a new command is covered without doing anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from amparo import inputs
from amparo.errors import InputError

__all__ = ["check_parameter", "guard"]

_GUARDED = "__amparo_guarded__"


def check_parameter(what: str, value: object) -> None:
    """One parsed parameter, shown as ``what`` (``--note``, ``NAME``): :class:`InputError`
    if it breaks a rule."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str):
        inputs.check_text(value, what=what)
    elif isinstance(value, int):
        inputs.check_int(value, what=what)
    elif isinstance(value, PurePath):
        problem = inputs.text_problem(str(value))
        if problem is not None:
            raise InputError(
                f"{what}: the path {str(value)!r} {problem}",
                hint="rename the file: its name must be valid UTF-8 without NUL",
            )
    elif isinstance(value, list | tuple):
        for item in value:
            check_parameter(what, item)


def _shown(param: Any) -> str:
    """How the help shows a parameter: an option by its first flag, an argument in capitals."""
    flags = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    return flags[0] if flags else str(param.name).upper()


def _checked(callback: Callable[..., Any], names: dict[str, str]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            check_parameter(names.get(name, name), value)
        return callback(*args, **kwargs)

    setattr(run, _GUARDED, True)
    return run


def guard(command: Any) -> Any:
    """``command`` (a click command or group, as typer builds it) with every callback in it
    checking its parameters first (see the module docstring)."""
    callback = getattr(command, "callback", None)
    if callback is not None and not getattr(callback, _GUARDED, False):
        names = {str(p.name): _shown(p) for p in getattr(command, "params", [])}
        command.callback = _checked(callback, names)
    for sub in getattr(command, "commands", {}).values():
        guard(sub)
    return command
