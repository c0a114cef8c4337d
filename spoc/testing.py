"""A pytest plugin for people who test SPOC apps and plugins.

Installed with SPOC (entry point ``pytest11``, name ``spoc``); turn it off
with ``-p no:spoc``. It only adds fixtures, all named ``spoc_*``: nothing
runs unless a test asks for one, and nothing heavy is imported before that.

- ``spoc_project``: write a project under ``tmp_path`` from ``{path: text}``.
- ``spoc_plugins``: plugins given to every framework ``spoc_framework`` builds in this test.
- ``spoc_framework``: build (and by default start) a Framework; every one is
  shut down when the test ends, whatever happened, and the process is left
  as it was (``sys.path``, the ``apps`` modules).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.schema import Schema

__all__ = ["spoc_framework", "spoc_plugins", "spoc_project"]

ProjectWriter = Callable[..., Path]
FrameworkFactory = Callable[..., "Framework"]


def _toml(apps: Sequence[str], modules: Sequence[str], dependencies: Mapping[str, Sequence[str]]) -> str:
    def names(items: Sequence[str]) -> str:
        return ", ".join(f'"{item}"' for item in items)

    lines = ["[spoc]", 'mode = "production"', "", "[spoc.apps]", f"production = [{names(apps)}]", ""]
    lines += ["[spoc.schema]", f"modules = [{names(modules)}]", ""]
    if dependencies:
        lines.append("[spoc.schema.dependencies]")
        lines += [f"{kind} = [{names(needs)}]" for kind, needs in dependencies.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def spoc_project(tmp_path: Path) -> ProjectWriter:
    """Return ``write(files=None, *, apps=(), modules=(), dependencies=None, toml=None) -> Path``.

    It writes ``config/spoc.toml`` (the apps in production, the modules as
    ``[spoc.schema]``, unless ``toml`` gives the whole text), an empty
    ``apps/<app>/__init__.py`` per app, and ``files`` (dedented) on top, in
    ``tmp_path / "project"``; calling it again adds files to the same project.
    """

    def write(
        files: Mapping[str, str] | None = None,
        *,
        apps: Sequence[str] = (),
        modules: Sequence[str] = (),
        dependencies: Mapping[str, Sequence[str]] | None = None,
        toml: str | None = None,
    ) -> Path:
        root = tmp_path / "project"
        planned = {"config/spoc.toml": toml if toml is not None else _toml(apps, modules, dependencies or {})}
        planned.update({f"apps/{app}/__init__.py": "" for app in apps})
        planned.update(files or {})
        for relative, text in planned.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


@pytest.fixture
def spoc_plugins() -> list[Any]:
    """A list of plugins (modules, class instances) every ``spoc_framework`` of this test registers.

    Append to it before building the framework; it is empty again in the next test.
    """
    return []


@pytest.fixture
def spoc_framework(spoc_plugins: list[Any]) -> Iterator[FrameworkFactory]:
    """Return ``build(base_dir, schema=None, *, start=True, **options) -> Framework``.

    ``options`` are the Framework's (``settings``, ``strict``, ``plugins``...);
    the plugins of ``spoc_plugins`` come first. Every framework built is shut
    down at the end of the test even if the test failed, and ``sys.path`` and
    the ``apps`` modules are restored, so the next test starts clean.
    """
    from spoc.framework import Framework

    built: list[Framework] = []
    path = list(sys.path)
    modules = set(sys.modules)

    def build(base_dir: str | Path, schema: Schema | None = None, *, start: bool = True, **options: Any) -> Framework:
        options["plugins"] = [*spoc_plugins, *options.get("plugins", ())]
        framework = Framework(base_dir, schema, **options)
        built.append(framework)
        return framework.startup() if start else framework

    yield build
    errors: list[BaseException] = []
    for framework in reversed(built):
        try:
            framework.shutdown()
        except Exception as exc:  # noqa: BLE001 - every framework is stopped; the first failure is raised
            errors.append(exc)
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name.partition(".")[0] in ("apps", "config", "conf", "settings", "configuration"):
            del sys.modules[name]
    if errors:
        raise errors[0]
