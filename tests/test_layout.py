"""The package's shape: no import circle at run time, and dependencies that point one way.

Read from the source with ``ast``: every import a module can execute (at its
top or inside a function), leaving out those under ``if TYPE_CHECKING:``, which
only type checkers follow.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import spoc

PACKAGE = Path(spoc.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """The ``spoc`` modules a module imports when it runs, TYPE_CHECKING blocks left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for statement in node.body for child in ast.walk(statement))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {target for target in runtime_imports(path) if target in modules and target != name}
        # Importing spoc.a.b runs spoc.a first; a package's own __init__ is not a dependency of its modules.
        edges[name] = {target for target in targets if not name.startswith(target + ".")}
    return edges


def test_the_package_has_no_import_circle_at_run_time() -> None:
    sorter = graphlib.TopologicalSorter(graph())
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"an import circle at run time: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("kernel", ["spoc.errors", "spoc.markers", "spoc.schema", "spoc.components", "spoc.lifecycle"])
def test_the_kernels_base_imports_no_subsystem(kernel: str) -> None:
    subsystems = ("spoc.cli", "spoc.plugins", "spoc.settings", "spoc.workers", "spoc.framework")
    assert {target for target in graph()[kernel] if target.startswith(subsystems)} == set()


def test_no_subsystem_imports_the_command_line() -> None:
    offenders = {
        name: sorted(target for target in targets if target.startswith("spoc.cli"))
        for name, targets in graph().items()
        if not name.startswith("spoc.cli") and name not in ("spoc", "spoc.__main__")
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}


def test_every_subpackage_says_what_it_owns() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init} has no docstring saying what the subpackage owns"
