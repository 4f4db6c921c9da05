"""The layers of docs/architecture.md hold: imports point down, never up or sideways into
another package's private modules, and packages form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "amparo"

# Lower ranks are lower layers; a package may import its own rank or below. Adapters (api,
# cli) sit on the runtime and use cases, which sit on the domain, which sits on the store.
RANKS = {
    "errors": 0,
    "events": 0,
    "config": 0,
    "collector": 0,
    "heap": 0,
    "inputs": 0,
    "store": 1,
    "media": 2,
    "matching": 2,
    "signals": 3,
    "provenance": 4,
    "remote": 4,
    "ledger": 4,
    "auth": 4,
    "evidence": 5,
    "accounts": 4,
    "banks": 5,
    "scan": 5,
    "policy": 5,
    "policies": 6,
    "exchanges": 6,
    "reporting": 6,
    "dsa": 6,
    "cases": 6,
    "actions": 6,
    "usecases": 7,
    "review": 7,
    "accountability": 7,
    "runtime": 8,
    "api": 9,
    "web": 9,
    "cli": 10,
}


def _package(path: Path) -> str:
    part = path.relative_to(SRC).parts[0]
    return part.removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "amparo":
                found.extend((node.lineno, f"amparo.{a.name}") for a in node.names)
            elif node.module.startswith("amparo."):
                found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("amparo."))
    return found


def _edges() -> list[tuple[Path, int, str, str]]:
    """(file, line, its package, imported dotted name) for every amparo import."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path == SRC / "__init__.py":
            continue
        for line, name in _imports(path):
            out.append((path, line, _package(path), name))
    return out


def test_every_package_has_a_rank() -> None:
    packages = {_package(p) for p in SRC.rglob("*.py") if p != SRC / "__init__.py"}
    assert packages <= set(RANKS), f"give these a layer in RANKS: {packages - set(RANKS)}"


def test_imports_point_down() -> None:
    wrong = [
        f"{path.relative_to(SRC)}:{line} ({pkg}) imports {name}"
        for path, line, pkg, name in _edges()
        if name.split(".")[1] in RANKS and RANKS[name.split(".")[1]] > RANKS[pkg]
    ]
    assert not wrong, "imports that point up a layer:\n" + "\n".join(wrong)


def test_no_private_imports_across_packages() -> None:
    wrong = [
        f"{path.relative_to(SRC)}:{line} imports {name}"
        for path, line, pkg, name in _edges()
        if name.split(".")[1] != pkg and any(p.startswith("_") for p in name.split(".")[2:])
    ]
    assert not wrong, "use the package's public __init__:\n" + "\n".join(wrong)


def test_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for _, _, pkg, name in _edges():
        target = name.split(".")[1]
        if target != pkg and target in RANKS:
            graph.setdefault(pkg, set()).add(target)

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(node) :], node]))
        for nxt in graph.get(node, ()):
            visit(nxt, [*stack, node])

    for start in graph:
        visit(start, [])
