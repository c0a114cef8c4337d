"""Plugins and examples use only SPOC's public modules, so the code people copy survives a refactoring.

DESIGN.md: plugins and examples import only ``spoc``, ``spoc.framework``,
``spoc.errors`` and ``spoc.testing``; anything they need is exported there.
The first-party plugins and the examples are what plugin authors copy: an
import of ``spoc.lifecycle`` there ends up in every third-party plugin, and
breaks them all when SPOC's insides move (``spoc.workers.Worker`` did). The
files are parsed, not grepped, so that imports under ``TYPE_CHECKING``, in
functions and through attribute chains (``spoc.workers.Worker`` in an
annotation) count, and prose in docstrings does not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import spoc

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_MODULES = frozenset({"spoc", "spoc.framework", "spoc.errors", "spoc.testing"})
COPIED_TREES = ("plugins", "examples")


def copied_files() -> list[Path]:
    """Every Python file under plugins/ and examples/, build leftovers aside."""
    return sorted(
        path
        for tree in COPIED_TREES
        for path in (ROOT / tree).rglob("*.py")
        if not {"build", ".eggs"} & set(path.parts) and not any(part.endswith(".egg-info") for part in path.parts)
    )


def private_uses(source: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line, what)`` for each use of a SPOC module that is not public.

    Catches ``import spoc.x``, ``from spoc.x import y``, ``from spoc import x``
    where ``x`` is a submodule rather than an exported name, and ``spoc.x.y``
    reached through ``import spoc``.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_spoc(alias.name) and alias.name not in PUBLIC_MODULES:
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _is_spoc(node.module):
            if node.module not in PUBLIC_MODULES:
                yield node.lineno, f"from {node.module} import ..."
            elif node.module == "spoc":
                for alias in node.names:
                    if not _public_attribute(alias.name):
                        yield node.lineno, f"from spoc import {alias.name}"
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "spoc"
            and not _public_attribute(node.attr)
        ):
            yield node.lineno, f"spoc.{node.attr}"


def _is_spoc(module: str) -> bool:
    return module == "spoc" or module.startswith("spoc.")


def _public_attribute(name: str) -> bool:
    """Whether ``spoc.<name>`` is an exported name or one of the public submodules."""
    return name in spoc.__all__ or f"spoc.{name}" in PUBLIC_MODULES


def test_plugins_and_examples_are_found() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in copied_files()}

    assert "plugins/spoc-timing/spoc_timing/plugin.py" in files
    assert "examples/blog/apps/core/__init__.py" in files
    assert "examples/minimal-plugin/spoc_hello/__init__.py" in files


@pytest.mark.parametrize("path", copied_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_plugins_and_examples_import_only_the_public_modules_of_spoc(path: Path) -> None:
    found = [f"line {line}: {what}" for line, what in private_uses(path.read_text(encoding="utf-8"))]

    assert found == [], (
        f"{path.relative_to(ROOT)} uses SPOC's insides ({'; '.join(found)}). Import only from "
        f"{', '.join(sorted(PUBLIC_MODULES))}; a name a plugin needs is exported from spoc (spoc.__all__)."
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from spoc.lifecycle import Step", [(1, "from spoc.lifecycle import ...")]),
        ("import spoc.workers.supervisor", [(1, "import spoc.workers.supervisor")]),
        ("from spoc import lifecycle", [(1, "from spoc import lifecycle")]),
        ("import spoc\n\ndef f(w: spoc.workers.Worker) -> None: ...", [(3, "spoc.workers")]),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from spoc.checks import Problem",
            [(3, "from spoc.checks import ...")],
        ),
        ("import spoc\nfrom spoc import Step, framework\nfrom spoc.errors import SpocError\nspoc.Worker", []),
        ("import spoc.testing\nfrom spoc.framework import Framework\nimport spocket.x", []),
        ("from .spoc import x\n'''from spoc.lifecycle import Step'''", []),
    ],
)
def test_the_check_finds_every_way_of_reaching_a_private_module(source: str, expected: list[tuple[int, str]]) -> None:
    assert sorted(private_uses(source)) == expected


@pytest.mark.parametrize("name", ["Step", "Worker", "PluginRecord", "Problem", "CommandContext"])
def test_what_hooks_hand_to_plugins_is_exported_from_spoc(name: str) -> None:
    assert name in spoc.__all__
    assert isinstance(getattr(spoc, name), type)
