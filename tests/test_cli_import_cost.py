"""What ``python -m spoc --help`` and ``python -m spoc plugins`` import: guards of the command line's cost.

Each command runs in a fresh interpreter, which records ``sys.modules`` after
``import spoc`` and after the command. No wall-clock threshold here: the
benchmark times the commands (``bench/cli.py``); these tests keep the known
heavy imports (distribution metadata, pydantic, the framework) off the paths
that do not need them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

# Imports spoc, then runs the command line as `python -m spoc` does, and writes what was imported.
RUNNER = """
import sys
import spoc
by_import_spoc = set(sys.modules)
from spoc.cli import main
try:
    status = main(sys.argv[2:])
except SystemExit as exc:
    status = exc.code
imported = set(sys.modules)
import json
with open(sys.argv[1], "w", encoding="utf-8") as stream:
    json.dump({"status": status, "by_import_spoc": sorted(by_import_spoc), "imported": sorted(imported)}, stream)
"""
# Costly and needed by no --help: reading distribution metadata, settings models, the framework.
NEVER_FOR_HELP = ("importlib.metadata", "importlib_metadata", "pydantic", "spoc.framework", "spoc.config")
# What `import spoc` may already cost (pluggy imports inspect), but the command line must not add.
NOT_ADDED_BY_HELP = ("inspect", "json", "logging", "platform", "shutil")
# A plugin with a pydantic settings section, like the first-party ones: the model is imported by its hook.
GUARD_PLUGIN = """
    import spoc

    @spoc.hookimpl
    def spoc_load_settings(framework):
        import spoc_test_guard_settings

        return {"guard": spoc_test_guard_settings.GuardSettings}

    @spoc.hookimpl
    def spoc_startup(framework):
        pass

    @spoc.hookimpl
    def spoc_add_commands(subparsers):
        subparsers.add_parser("guard-hello", help="say hello from the guard plugin")
"""
GUARD_SETTINGS = """
    from pydantic import BaseModel

    class GuardSettings(BaseModel):
        enabled: bool = True
"""


@dataclass(frozen=True)
class Run:
    """One command run in a fresh interpreter."""

    status: object
    stdout: str
    by_import_spoc: set[str]
    imported: set[str]

    @property
    def added(self) -> set[str]:
        """The modules the command line imported beyond what ``import spoc`` did."""
        return self.imported - self.by_import_spoc


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder on the subprocess's path, with the guard plugin and a distribution declaring it."""
    return write_files(
        tmp_path / "site",
        {
            "spoc_test_guard.py": GUARD_PLUGIN,
            "spoc_test_guard_settings.py": GUARD_SETTINGS,
            "spoc_guard-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-guard\nVersion: 1.0\n",
            "spoc_guard-1.0.dist-info/entry_points.txt": "[spoc.plugins]\nguard = spoc_test_guard\n",
        },
    )


def run_cli(cwd: Path, site: Path, *args: str, autoload: bool = False) -> Run:
    """Run ``spoc ARGS`` in a fresh interpreter in ``cwd``, with ``site`` on its path."""
    record = cwd.parent / f"imports-{os.getpid()}.json"
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SPOC_", "PYTHON"))}
    # No bytecode written next to the plugin: the site folder's mtime, part of the entry-point cache's key, stays.
    env.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
    env.update({"SPOC_LOAD_PLUGINS": "guard"} if autoload else {"SPOC_DISABLE_PLUGIN_AUTOLOAD": "1"})
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(record), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(record.read_text(encoding="utf-8"))
    return Run(data["status"], result.stdout, set(data["by_import_spoc"]), set(data["imported"]))


def test_help_imports_no_metadata_settings_or_framework(tmp_path: Path, site: Path) -> None:
    run = run_cli(tmp_path, site, "--help")

    assert run.status == 0 and run.stdout.startswith("usage: spoc ")
    assert set(NEVER_FOR_HELP) & run.imported == set()
    assert set(NOT_ADDED_BY_HELP) & run.added == set()


def test_help_with_an_installed_plugin_shows_its_command_without_reading_metadata(tmp_path: Path, site: Path) -> None:
    run_cli(tmp_path, site, "--help", autoload=True)  # the first run of an interpreter fills the entry-point cache

    run = run_cli(tmp_path, site, "--help", autoload=True)

    assert run.status == 0 and "guard-hello" in run.stdout
    assert {"importlib.metadata", "importlib_metadata", "pydantic"} & run.imported == set()


def test_version_lists_installed_plugins_without_importing_them(tmp_path: Path, site: Path) -> None:
    run = run_cli(tmp_path, site, "--version", autoload=True)

    assert run.status == 0 and "  guard: spoc-guard 1.0\n" in run.stdout
    assert "spoc_test_guard" not in run.imported  # nor asked for commands: --version runs none


def test_plugins_lists_a_plugin_and_its_hooks_without_importing_pydantic(
    make_project: ProjectFactory, site: Path
) -> None:
    project = make_project(apps=[])

    run = run_cli(project, site, "-p", "spoc_test_guard", "plugins", "--json")

    assert run.status == 0
    listed = {plugin["name"]: plugin for plugin in json.loads(run.stdout)["plugins"]}
    assert listed["spoc_test_guard"]["status"] == "active"
    assert listed["spoc_test_guard"]["hooks"] == ["spoc_add_commands", "spoc_load_settings", "spoc_startup"]
    assert "spoc_test_guard_settings" not in run.imported  # spoc_load_settings was not called
    assert {"pydantic", "spoc.framework"} & run.imported == set()


def test_hooks_lists_a_plugins_implementations_without_importing_pydantic(
    make_project: ProjectFactory, site: Path
) -> None:
    project = make_project(apps=[])

    run = run_cli(project, site, "-p", "spoc_test_guard", "hooks", "spoc_load_settings")

    assert run.status == 0
    assert run.stdout.splitlines()[1].split()[:2] == ["1.", "spoc_test_guard"]
    assert {"pydantic", "spoc_test_guard_settings", "spoc.framework"} & run.imported == set()
