"""The package's layers, enforced: nothing imports upward, and the packages of the middle
row (omero_io, checks, storage, ngff, remote) do not import each other.

    cli -> commands -> workflows -> {omero_io, checks, storage, ngff, remote} -> model
        -> errors, exit_codes

Every import node of every module is read (inside functions and under TYPE_CHECKING
too); the checker proves itself on planted violations.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "omero_cli_ngff"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
LAYERS = {
    "cli": 5, "__main__": 5,
    "commands": 4,
    "workflows": 3,
    "omero_io": 2, "checks": 2, "storage": 2, "ngff": 2, "remote": 2,
    "model": 1,
    "errors": 0, "exit_codes": 0, "__init__": 0,
}
MIDDLE = {name for name, layer in LAYERS.items() if layer == 2}


def part_of(module: str) -> str:
    """`omero_cli_ngff.storage.http` -> `storage`; the package itself -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(module: str, is_package: bool, source: str,
                     known: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, absolute module) of every import of the package in `source`; `known`:
    the package's modules (`from . import x` names a module only when x is one)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = module.split(".")
                parts = parts if is_package else parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            # `from . import x`: x may be a module of that package, or a name in it
            found += [(node.lineno, f"{base}.{a.name}"
                       if not node.module and (f"{base}.{a.name}" in known or not known)
                       else base) for a in node.names]
    return [(line, m) for line, m in found if m == PACKAGE or m.startswith(PACKAGE + ".")]


def module_name(path: str) -> str:
    module = path[:-3].replace("/", ".")
    return module[: -len(".__init__")] if path.endswith("__init__.py") else module


def violations(sources: dict[str, str]) -> list[str]:
    """`sources`: module path relative to the package's parent (a/b.py) -> source."""
    out = []
    known = frozenset(module_name(p) for p in sources)
    for path, source in sorted(sources.items()):
        is_package = path.endswith("__init__.py")
        module = module_name(path)
        here = part_of(module) if module != PACKAGE else "__init__"
        for line, target in imported_modules(module, is_package, source, known):
            there = part_of(target)
            if there == here:
                continue
            upward = LAYERS[there] > LAYERS[here]
            sideways = here in MIDDLE and there in MIDDLE
            if upward or sideways:
                out.append(f"{path}:{line}: {here} imports {target}"
                           f" ({'upward' if upward else 'across the middle row'})")
    return out


def package_sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT.parent)): p.read_text() for p in ROOT.rglob("*.py")}


def test_every_part_of_the_package_has_a_layer():
    parts = {p.name.removesuffix(".py") for p in ROOT.iterdir()
             if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts <= set(LAYERS), parts - set(LAYERS)


def test_nothing_imports_upward_or_across_the_middle_row():
    assert violations(package_sources()) == []


def test_the_checker_finds_planted_violations():
    planted = {
        "omero_cli_ngff/model/planted.py":
            "from ..workflows import publish\n",                      # upward, top level
        "omero_cli_ngff/storage/planted.py":
            "def f():\n    from ..ngff import writer\n",              # across, in a function
        "omero_cli_ngff/checks/planted.py":
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    import omero_cli_ngff.omero_io.session\n",              # under TYPE_CHECKING
        "omero_cli_ngff/workflows/fine.py":
            "from ..storage import journal\nfrom ..model import paths\n",   # downward: fine
        "omero_cli_ngff/ngff/fine.py": "from . import spec\nfrom .. import errors\n",
    }
    found = violations(planted)
    assert len(found) == 3, found
    assert any("model/planted.py:1: model imports omero_cli_ngff.workflows" in v for v in found)
    assert any("storage/planted.py:2" in v and "across" in v for v in found)
    assert any("checks/planted.py:3" in v for v in found)
