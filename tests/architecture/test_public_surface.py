"""Every package's public surface is exactly its ``__all__``, and every public name is
documented (like httpx's exported-members test): a name cannot become public by accident,
and other packages can rely on nothing else."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

import pytest

import amparo

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(amparo.__path__, "amparo.")
    if not any(part.startswith("_") for part in name.split(".")) and "migrations" not in name
)


def _is_package(module: types.ModuleType) -> bool:
    return hasattr(module, "__path__")


@pytest.mark.parametrize("name", ["amparo", *MODULES])
def test_public_names_are_exactly_all(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}: __all__ names what is not there: {missing}"
    if _is_package(module):  # a package's __init__ only re-exports: every public name counts
        public = {
            n
            for n, value in vars(module).items()
            if not n.startswith("_") and not isinstance(value, types.ModuleType)
        }
    else:  # a module: what it defines itself
        public = {
            n
            for n, value in vars(module).items()
            if not n.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == name
        }
        exported = [n for n in exported if n in public or not hasattr(module, n)]
    assert {n for n in exported if not n.startswith("__")} == public, (
        f"{name}: __all__ and the public names differ"
    )


@pytest.mark.parametrize("name", ["amparo", *MODULES])
def test_public_classes_and_functions_are_documented(name: str) -> None:
    module = importlib.import_module(name)
    undocumented = [
        n
        for n in getattr(module, "__all__", ())
        if (inspect.isclass(getattr(module, n)) or inspect.isfunction(getattr(module, n)))
        and not inspect.getdoc(getattr(module, n))
    ]
    assert not undocumented, f"{name}: document {undocumented}"
