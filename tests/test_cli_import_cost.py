"""The inspection commands that need no settings import no pydantic: ``--help``, ``--version``, ``plugins``, ``hooks``.

A promise of DESIGN.md: pydantic costs a fresh process more than the rest of
these commands together. Each command runs in a fresh interpreter, which
records ``sys.modules`` after the command. The benchmark times the commands
(``bench/cli.py``).
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

# Runs the command line as `python -m spoc` does, and writes what was imported.
RUNNER = """
import sys
from spoc.cli import main
try:
    status = main(sys.argv[2:])
except SystemExit as exc:
    status = exc.code
imported = set(sys.modules)
import json
with open(sys.argv[1], "w", encoding="utf-8") as stream:
    json.dump({"status": status, "imported": sorted(imported)}, stream)
"""
# Settings models are pydantic: only commands that read settings may import it.
NEVER_FOR_INSPECTION = ("pydantic", "pydantic_settings")
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
    imported: set[str]


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
    return Run(data["status"], result.stdout, set(data["imported"]))


def test_help_imports_no_pydantic_and_no_framework(tmp_path: Path, site: Path) -> None:
    run = run_cli(tmp_path, site, "--help")

    assert run.status == 0 and run.stdout.startswith("usage: spoc ")
    assert {*NEVER_FOR_INSPECTION, "spoc.framework"} & run.imported == set()


def test_help_with_an_installed_plugin_shows_its_command_without_importing_pydantic(tmp_path: Path, site: Path) -> None:
    run = run_cli(tmp_path, site, "--help", autoload=True)

    assert run.status == 0 and "guard-hello" in run.stdout
    assert set(NEVER_FOR_INSPECTION) & run.imported == set()


def test_version_lists_installed_plugins_without_importing_them(tmp_path: Path, site: Path) -> None:
    run = run_cli(tmp_path, site, "--version", autoload=True)

    assert run.status == 0 and "  guard: spoc-guard 1.0\n" in run.stdout
    assert "spoc_test_guard" not in run.imported  # nor asked for commands: --version runs none
    assert set(NEVER_FOR_INSPECTION) & run.imported == set()


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
    assert {*NEVER_FOR_INSPECTION, "spoc.framework"} & run.imported == set()


def test_hooks_lists_a_plugins_implementations_without_importing_pydantic(
    make_project: ProjectFactory, site: Path
) -> None:
    project = make_project(apps=[])

    run = run_cli(project, site, "-p", "spoc_test_guard", "hooks", "spoc_load_settings")

    assert run.status == 0
    assert run.stdout.splitlines()[1].split()[:2] == ["1.", "spoc_test_guard"]
    assert {*NEVER_FOR_INSPECTION, "spoc_test_guard_settings", "spoc.framework"} & run.imported == set()
