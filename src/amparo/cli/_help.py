"""Help texts as people read them: ``FILES...`` and ``TEXT``, not typer's ``{files}`` and
``<bool>``; paragraphs reflowed; example lines kept as written.

Why by hand: typer renders every parameter's Python type (``<bool>``, ``<list[Path]>``) and
braces required arguments (``{files}``), and keeps a docstring's line breaks. Typer makes the
parameter objects itself, so :func:`tidy` gives each the subclass below that renders help the
classic way; nothing else about a parameter changes.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperOption

__all__ = ["tidy", "tidy_option"]


_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "Path": "PATH"}


class _Argument(TyperArgument):
    """An argument shown as ``NAME`` (``NAME...`` when it takes several)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        return name if self.required else f"[{name}]"


class _Option(TyperOption):
    """An option shown with click's value names (``TEXT``, ``INTEGER``, ``csv|jsonl``);
    flags show none."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        label = self.display_type(ctx).strip("<>")
        if label.startswith("list[") and label.endswith("]"):
            label = label[5:-1]  # a repeatable option: its help says so
        if "|" in label:
            return label  # choices, as they are typed
        return _NAMES.get(label, label.upper())


def tidy_option(option: Any) -> Any:
    """``option`` rendered as described above (for ``--help``, which click makes late)."""
    if type(option) is TyperOption:
        option.__class__ = _Option
    return option


class _Command(TyperCommand):
    """A command whose ``--help`` option renders tidily too."""

    def get_help_option(self, ctx: Any) -> Any:
        return tidy_option(super().get_help_option(ctx))


def _reflow(text: str) -> str:
    """Join the lines of each paragraph, except paragraphs with indented lines (examples)
    or click's ``\\b`` no-rewrap marker."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    kept = []
    for p in paragraphs:
        lines = p.split("\n")
        if p.startswith("\b") or any(line.startswith(" ") for line in lines):
            kept.append(p)
        else:
            kept.append(" ".join(line.strip() for line in lines))
    # typer dedents the paragraphs after the first together; an empty line opening them
    # counts as unindented, so example lines keep their indentation.
    return kept[0] + "\n\n\n" + "\n\n".join(kept[1:]) if len(kept) > 1 else kept[0]


def tidy(command: Any) -> Any:
    """Give ``command`` (a typer command or group) the help rendering described above.
    Idempotent; returns the command."""
    if type(command) is TyperCommand:
        command.__class__ = _Command
    for param in getattr(command, "params", ()):
        if type(param) is TyperArgument:
            param.__class__ = _Argument
            if param.metavar is None:
                name = (param.name or "").upper()
                param.metavar = f"{name}..." if param.nargs != 1 else name
        else:
            tidy_option(param)
    if command.help:
        command.help = _reflow(command.help)
    return command
