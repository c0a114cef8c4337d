"""The first-party plugins in plugins/, pip-installed and found as a third party's would be.

Each test runs a real project in tmp_path as its user would: ``python -m spoc``
or ``python main.py`` in a fresh interpreter, with the plugins discovered
through the ``spoc.plugins`` entry points of their installed distributions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory

DISTRIBUTIONS = {"timing": "spoc-timing", "logging": "spoc-logging"}

try:
    VERSIONS = {name: version(dist) for name, dist in DISTRIBUTIONS.items()}
except PackageNotFoundError as missing:  # pragma: no cover - depends on the environment
    pytest.skip(
        f"{missing} is not installed: pip install -e plugins/spoc-timing -e plugins/spoc-logging (make test does)",
        allow_module_level=True,
    )

TOML = """
[spoc]
mode = "production"

[spoc.apps]
production = ["blog"]

[spoc.schema]
modules = ["models", "views"]

[spoc.schema.dependencies]
views = ["models"]
"""

FILES = {
    "apps/blog/__init__.py": "",
    "apps/blog/models.py": "def initialize():\n    pass\n",
    "apps/blog/views.py": """
        import spoc

        @spoc.component
        def index(page=1):
            return f"page {page}"
    """,
    "main.py": """
        import logging
        import sys
        from pathlib import Path

        import spoc

        logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(message)s")
        logging.getLogger("spoc.invoke").setLevel(logging.INFO)
        with spoc.Framework(Path(__file__).parent) as framework:
            print(framework.invoke("views", "blog.index", page=2))
    """,
}


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(FILES, toml=TOML)


def run(project: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGV...`` in the project with a clean SPOC environment and warnings as errors."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ.update(PYTHONDONTWRITEBYTECODE="1", PYTHONWARNINGS="error", **env)
    result = subprocess.run(
        [sys.executable, *argv], cwd=project, env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result


def plugins(project: Path, *options: str, **env: str) -> dict[str, dict[str, Any]]:
    """Return ``python -m spoc [OPTIONS] plugins --json``, by plugin name."""
    output = json.loads(run(project, "-m", "spoc", *options, "plugins", "--json", **env).stdout)
    assert output["format_version"] == 1
    return {plugin["name"]: plugin for plugin in output["plugins"]}


def test_both_plugins_are_listed_as_active_entry_points_of_their_distributions(project: Path) -> None:
    listed = plugins(project)

    for name, dist in DISTRIBUTIONS.items():
        assert {key: listed[name][key] for key in ("source", "distribution", "version", "status", "error")} == {
            "source": "entrypoint",
            "distribution": dist,
            "version": VERSIONS[name],
            "status": "active",
            "error": None,
        }
    assert listed["timing"]["hooks"] == ["spoc_load_settings", "spoc_run_step", "spoc_startup"]
    assert listed["logging"]["hooks"] == ["spoc_invoke", "spoc_load_settings"]


def test_p_no_timing_blocks_it_and_leaves_the_other_plugin_active(project: Path) -> None:
    listed = plugins(project, "-p", "no:timing")

    assert (listed["timing"]["status"], listed["timing"]["hooks"]) == ("blocked", [])
    assert listed["logging"]["status"] == "active"


def test_disabling_autoload_loads_neither_plugin(project: Path) -> None:
    listed = plugins(project, SPOC_DISABLE_PLUGIN_AUTOLOAD="1")

    assert {name: listed[name]["status"] for name in DISTRIBUTIONS} == {"timing": "blocked", "logging": "blocked"}


def test_p_timing_loads_it_even_with_autoload_off(project: Path) -> None:
    listed = plugins(project, "-p", "timing", SPOC_DISABLE_PLUGIN_AUTOLOAD="1")

    assert {name: listed[name]["status"] for name in DISTRIBUTIONS} == {"timing": "active", "logging": "blocked"}


def test_the_timing_wrapper_is_the_outermost_link_of_spoc_run_step(project: Path) -> None:
    output = json.loads(run(project, "-m", "spoc", "hooks", "spoc_run_step", "--json").stdout)

    [hook] = output["hooks"]
    outermost = hook["implementations"][0]
    assert (outermost["plugin"], outermost["marks"]) == ("timing", ["wrapper", "tryfirst"])
    assert "spoc_timing" in outermost["location"]


def test_by_default_the_plugins_print_nothing(project: Path) -> None:
    result = run(project, "main.py")

    assert result.stdout == "page 2\n"
    assert result.stderr == ""


def test_report_true_prints_the_slowest_startup_steps_at_startup(project: Path) -> None:
    config = project / "config" / "spoc.toml"
    config.write_text(config.read_text() + "\n[spoc.timing]\nreport = true\nslowest = 3\n")

    result = run(project, "main.py")

    heading, *rows = result.stderr.splitlines()
    assert heading.startswith("spoc-timing: the 3 slowest startup step(s), of ")
    assert len(rows) == 3
    assert result.stdout == "page 2\n"


def test_the_logging_plugin_writes_one_json_line_per_invoke_when_configured(project: Path) -> None:
    config = project / "config" / "spoc.toml"
    config.write_text(config.read_text() + '\n[spoc.logging]\nlevel = "INFO"\ninclude_args = true\n')

    result = run(project, "main.py")

    [line] = [line for line in result.stderr.splitlines() if line.startswith("spoc.invoke ")]
    record = json.loads(line.removeprefix("spoc.invoke "))
    assert {key: record[key] for key in ("event", "component", "kind", "outcome", "kwargs")} == {
        "event": "invoke",
        "component": "blog.index",
        "kind": "views",
        "outcome": "ok",
        "kwargs": {"page": "2"},
    }


def test_the_report_can_be_asked_for_one_run_with_a_variable(project: Path) -> None:
    result = run(project, "main.py", SPOC_TIMING__REPORT="true", SPOC_TIMING__SLOWEST="1")

    heading, row = result.stderr.splitlines()
    assert heading.startswith("spoc-timing: the 1 slowest startup step(s), of ")
    assert row.split()[1] == "ms"
