"""``python -m spoc`` as a user runs it: a subprocess in a real project folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import write_files
from test_cli import BROKEN, HEALTHY

DEMO = Path(__file__).resolve().parents[2] / "examples" / "blog"
# The demo's main.py builds its Framework with strict=False: debugtools has only views.
LOOSE = "--loose"


def spoc(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ.update(PYTHONDONTWRITEBYTECODE="1", PYTHONWARNINGS="error", SPOC_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "spoc", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def healthy(tmp_path: Path) -> Path:
    return write_files(tmp_path / "healthy", HEALTHY)


def test_version_runs_outside_any_project(tmp_path: Path) -> None:
    result = spoc(tmp_path, "--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("spoc ")
    assert "\npluggy " in result.stdout and "\nPython " in result.stdout


def test_apps_json_of_the_demo(tmp_path: Path) -> None:
    result = spoc(DEMO, "apps", "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    assert document["mode"] == "development"
    assert "blog" in [app["name"] for app in document["apps"]]


def test_components_of_the_demo_found_from_a_subfolder() -> None:
    result = spoc(DEMO / "apps" / "blog", LOOSE, "components", "models")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["kind", "name", "type", "module"]
    assert any(line.split()[1] == "blog.Post" for line in lines[1:])


def test_check_passes_on_the_demo_and_times_its_steps() -> None:
    result = spoc(DEMO, LOOSE, "check", "--timings")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("slowest 10 of ")
    assert result.stdout.splitlines()[-1].startswith("OK: 4 app(s)")
    assert "  start " in result.stderr  # what the demo prints goes to stderr, apart from the report


def test_check_of_the_demo_without_loose_reports_each_missing_module() -> None:
    result = spoc(DEMO, "check")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert {line.split(":")[0] for line in lines[:-1]} == {"modules"}
    assert "app 'debugtools' has no 'models' module" in lines[0]
    assert lines[-1] == f"{len(lines) - 1} problem(s) found"


def test_components_json_stays_valid_when_the_project_prints() -> None:
    result = spoc(DEMO, LOOSE, "components", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["format_version"] == 1
    assert "  start " in result.stderr


def test_check_of_a_broken_project_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    project = write_files(tmp_path / "broken", BROKEN)

    result = spoc(project, "check")

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "5 problem(s) found"
    assert result.stderr == "hint: rerun with --traceback to see the traceback of each problem\n"


def test_graph_of_the_demo_in_both_formats() -> None:
    mermaid = spoc(DEMO, LOOSE, "graph")
    dot = spoc(DEMO, LOOSE, "graph", "--format", "dot")

    assert mermaid.returncode == 0 and dot.returncode == 0, mermaid.stderr + dot.stderr
    assert mermaid.stdout.startswith("flowchart LR\n")
    assert '        module__core_models["1. core.models"]\n' in mermaid.stdout
    assert dot.stdout.startswith("digraph spoc {")


def test_init_scaffolds_a_project_that_runs_with_python_main_py(tmp_path: Path) -> None:
    created = spoc(tmp_path, "init", "shop")
    checked = spoc(tmp_path / "shop", "check")
    ran = subprocess.run(
        [sys.executable, "main.py"], cwd=tmp_path / "shop", capture_output=True, text=True, timeout=120, check=False
    )
    again = spoc(tmp_path, "init", "shop")

    assert created.returncode == 0, created.stderr
    assert "  main.py\n" in created.stdout
    assert checked.returncode == 0, checked.stdout
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "started hello in mode 'development'\nhello, world!\nstopped\n"
    assert again.returncode == 1
    assert again.stderr.startswith("error: not writing the project into shop: ")
    assert "Traceback" not in again.stderr


def test_an_error_is_one_line_and_a_hint_and_traceback_shows_the_chain(tmp_path: Path, healthy: Path) -> None:
    plain = spoc(healthy, "--mode", "prod", "apps")
    full = spoc(healthy, "--traceback", "--mode", "prod", "apps")

    assert plain.returncode == 1
    assert plain.stderr.startswith("error: unknown mode 'prod' (from --mode)")
    assert plain.stderr.splitlines()[1:] == ["hint: rerun with --traceback to see the full traceback"]
    assert full.returncode == 1
    assert full.stderr.startswith("Traceback (most recent call last)")
    assert full.stderr.splitlines()[-1].startswith("error: unknown mode 'prod' (from --mode)")
    assert "hint:" not in full.stderr


def test_usage_errors_exit_2(healthy: Path) -> None:
    result = spoc(healthy, "graph", "--format", "png")

    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_an_unexpected_exception_in_a_plugin_command_prints_its_traceback_and_exits_1(healthy: Path) -> None:
    write_files(
        healthy,
        {
            "spoc_test_crash.py": """
                import spoc

                def crash(args, context):
                    raise ZeroDivisionError("a bug in the plugin")

                @spoc.hookimpl
                def spoc_add_commands(subparsers):
                    subparsers.add_parser("crash").set_defaults(run=crash)
            """
        },
    )

    result = spoc(healthy, "-p", "spoc_test_crash", "crash", PYTHONPATH=str(healthy))

    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("ZeroDivisionError: a bug in the plugin")


def test_a_reader_that_stops_early_causes_no_broken_pipe_traceback() -> None:
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ["SPOC_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    with subprocess.Popen(
        [sys.executable, "-m", "spoc", LOOSE, "graph"],
        cwd=DEMO,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # like `| head -0`: the reader is gone before the command writes
        error = process.stderr.read()
        status = process.wait(timeout=120)

    assert "Traceback" not in error and "BrokenPipeError" not in error
    assert status == 0
