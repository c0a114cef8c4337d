"""Helpers of the framework tests: projects whose modules record what happens, and a recording plugin.

The project's modules record events in ``spoc_test_recorder``, a module object
the ``rec`` fixture puts in ``sys.modules`` (conftest removes every
``spoc_test_*`` module after a test). Test modules import the fixture with the helpers.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import spoc
from spoc.framework import Framework, Schema

__all__ = [
    "SCHEMA",
    "Plugin",
    "Recorder",
    "app_source",
    "hooks_lines",
    "lines",
    "location",
    "module_source",
    "project_files",
    "recording_schema",
    "short",
    "toml",
]

SCHEMA = Schema(modules=["models", "views"], dependencies={"views": ["models"]})


class Recorder(types.ModuleType):
    """The ``spoc_test_recorder`` module: a list of events, and the events that must fail."""

    def __init__(self) -> None:
        super().__init__("spoc_test_recorder")
        self.calls: list[str] = []
        self.failing: set[str] = set()

    def hit(self, event: str) -> None:
        """Record ``event``; raise if it is one of ``failing``."""
        self.calls.append(event)
        if event in self.failing:
            raise RuntimeError(f"{event} failed on purpose")


def lines(*parts: str) -> str:
    return "\n".join(parts) + "\n"


def module_source(label: str, *extra: str) -> str:
    """A Schema module that records its import, ``initialize()`` and ``teardown()``."""
    return lines(
        "import spoc",
        "import spoc_test_recorder as rec",
        f"rec.hit('import {label}')",
        "",
        "def initialize():",
        f"    rec.hit('{label}.initialize')",
        "",
        "def teardown():",
        f"    rec.hit('{label}.teardown')",
        "",
        *extra,
    )


def hooks_lines(owner: str, marker: str = "@spoc.hookimpl", prefix: str = "") -> tuple[str, ...]:
    """Module-level ``spoc_startup``/``spoc_shutdown`` implementations that record ``owner``."""
    return (
        marker,
        f"{prefix}def spoc_startup(framework):",
        f"    rec.hit('start {owner}')",
        "",
        marker,
        f"{prefix}def spoc_shutdown(framework):",
        f"    rec.hit('stop {owner}')",
        "",
    )


def app_source(app: str, *extra: str) -> str:
    """An app package that records its import."""
    return lines("import spoc", "import spoc_test_recorder as rec", f"rec.hit('import app {app}')", "", *extra)


def project_files(apps: list[str], kinds: list[str]) -> dict[str, str]:
    files = {f"apps/{app}/__init__.py": app_source(app) for app in apps}
    files.update({f"apps/{app}/{kind}.py": module_source(f"{app}.{kind}") for app in apps for kind in kinds})
    return files


def toml(apps: list[str], mode: str = "production", extra: str = "") -> str:
    listed = ", ".join(f'"{app}"' for app in apps)
    return f'[spoc]\nmode = "{mode}"\n\n[spoc.apps]\n{mode} = [{listed}]\n{extra}'


def location(path: Path, text: str) -> str:
    """Return ``path:line`` of the first line of ``path`` holding ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return f"{path}:{number}"
    raise AssertionError(f"{text!r} not in {path}")


def short(module: types.ModuleType) -> str:
    return module.__name__.removeprefix("apps.")


def recording_schema(rec: Recorder, **extra: Any) -> Schema:
    """SCHEMA with Schema hooks on ``models`` that record the module they receive."""
    return Schema(
        modules=["models", "views"],
        dependencies={"views": ["models"]},
        hooks={
            "models": {
                "startup": lambda module: rec.hit(f"schema start {short(module)}"),
                "shutdown": lambda module: rec.hit(f"schema stop {short(module)}"),
            }
        },
        **extra,
    )


class Plugin:
    """A plugin passed with ``Framework(plugins=[...])`` that records its lifecycle."""

    def __init__(self, rec: Recorder, name: str) -> None:
        self.rec = rec
        self.label = name

    @spoc.hookimpl
    def spoc_register_components(self, framework: Framework) -> None:
        self.rec.hit(f"register {self.label}")

    @spoc.hookimpl
    def spoc_startup(self, framework: Framework) -> None:
        self.rec.hit(f"start {self.label}")

    @spoc.hookimpl
    def spoc_shutdown(self, framework: Framework) -> None:
        self.rec.hit(f"stop {self.label}")
