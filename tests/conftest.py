"""Shared fixtures: build real projects in tmp_path, keep the process clean."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from framework_support import Recorder

ProjectFactory = Callable[..., Path]
SOURCE_TREE = Path(__file__).resolve().parent.parent
# What a test's projects import: their apps, and their settings module under its own name.
PROJECT_PACKAGES = ("apps", "config", "conf", "settings", "configuration")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test the source tree when ``.ci/installed`` asks for the installed wheel."""
    import os

    import spoc

    where = Path(spoc.__file__).resolve()
    if os.environ.get("TESTS_AGAINST_INSTALLED_SPOC") and where.is_relative_to(SOURCE_TREE):
        raise pytest.UsageError(f"TESTS_AGAINST_INSTALLED_SPOC is set, but spoc was imported from {where}")


@pytest.fixture(autouse=True)
def _isolated_imports() -> Iterator[None]:
    """Undo what a test's Framework did to sys.path and sys.modules."""
    path = list(sys.path)
    modules = set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name.partition(".")[0] in PROJECT_PACKAGES or name.startswith("spoc_test_"):
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _no_spoc_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without the developer's SPOC_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("SPOC_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the entry-point cache out of the developer's home; each test starts without one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))


@pytest.fixture
def no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep installed entry-point plugins (spoc-timing, spoc-logging) out of a test that counts exact calls."""
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


def run_python(script: str, *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120) -> str:
    """Run ``script`` (dedented) in a fresh interpreter; fail the test with its stderr unless it exits 0.

    Returns what it printed. For what only a new process shows: what an import
    or a start loads into ``sys.modules``.
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def sigint_as_python_sets_it() -> None:
    """For ``Popen(preexec_fn=...)``: SIGINT back to its default in the child, so that Python turns it into
    KeyboardInterrupt even when the tests run as a background job, which inherits SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (text is dedented)."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Return ``make(files, apps=..., toml=...)`` that writes a project and returns its folder.

    ``apps`` is a list of app names given an empty ``__init__.py``; ``toml``
    is the text of ``config/spoc.toml`` (by default: those apps in production).
    """

    def make(files: dict[str, str] | None = None, *, apps: list[str] | None = None, toml: str | None = None) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        app_names = apps if apps is not None else []
        if toml is None:
            listed = ", ".join(f'"{app}"' for app in app_names)
            toml = f'[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = [{listed}]\n'
        all_files = {"config/spoc.toml": toml}
        all_files.update({f"apps/{app}/__init__.py": "" for app in app_names})
        all_files.update(files or {})
        return write_files(root, all_files)

    return make


@pytest.fixture
def rec(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Put ``spoc_test_recorder`` in ``sys.modules``: project modules record what happens there."""
    recorder = Recorder()
    monkeypatch.setitem(sys.modules, recorder.__name__, recorder)
    return recorder
