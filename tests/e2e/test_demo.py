"""The demo project, run as ``make demo`` runs it: ``cd examples/blog && python main.py``.

Its output is a lifecycle log: under ``startup`` each step is ``import``,
``init`` or ``start``; under ``shutdown`` its undo is ``unload``,
``teardown`` or ``stop``, on a line of its own with the same name.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "blog"
KINDS = ["models", "services", "views", "tasks", "workers"]
UNDO = {"import": "unload", "init": "teardown", "start": "stop"}
STEP = re.compile(r"^  (import|init|start|unload|teardown|stop)\s+(\S+)")


@dataclass
class Run:
    """One run of the demo, its output split into sections by their unindented headers."""

    returncode: int
    stdout: str
    stderr: str
    sections: dict[str, list[str]]

    def steps(self, section: str) -> list[tuple[str, str]]:
        """Return the ``(verb, name)`` lifecycle steps of a section, in order."""
        matches = [STEP.match(line) for line in self.sections[section]]
        return [(match.group(1), match.group(2)) for match in matches if match]

    def imported(self) -> list[str]:
        return [name for verb, name in self.steps("startup") if verb == "import"]

    def load_order(self) -> list[str]:
        """Return the apps as the demo printed them, ``  apps      core, users, ...  (...)``."""
        (line,) = [line for line in self.sections["construct"] if line.startswith("  apps ")]
        listed = line.split("(")[0].split(None, 1)[1]
        return [app.strip() for app in listed.split(",")]


def run_demo(cwd: Path = DEMO, **env: str) -> Run:
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ.update(PYTHONDONTWRITEBYTECODE="1", PYTHONWARNINGS="error", **env)
    result = subprocess.run(
        [sys.executable, str(DEMO / "main.py")],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in result.stdout.splitlines():
        if line and not line.startswith(" "):
            current = sections.setdefault(line.split(":")[0], [])
        else:
            current.append(line)
    return Run(result.returncode, result.stdout, result.stderr, sections)


@pytest.fixture(scope="module")
def development() -> Run:
    return run_demo()


@pytest.fixture(scope="module")
def production() -> Run:
    return run_demo(SPOC_MODE="production")


def test_demo_runs_cleanly_in_every_mode(development: Run, production: Run) -> None:
    for run in (development, production):
        assert run.returncode == 0, run.stderr
        assert run.stderr == ""
        assert list(run.sections) == ["construct", "startup", "components", "routes", "requests", "shutdown", "done"]


def test_demo_loads_installed_apps_first_then_the_modes_apps(development: Run, production: Run) -> None:
    assert development.load_order() == ["core", "users", "blog", "debugtools"]
    assert production.load_order() == ["core", "users", "blog"]
    assert not any("debugtools" in line for line in production.stdout.splitlines())


def test_demo_imports_models_before_services_before_views(development: Run) -> None:
    kinds = [name.rsplit(".", 1)[1] for name in development.imported()]
    assert kinds == sorted(kinds, key=KINDS.index)
    assert set(kinds) == set(KINDS)


@pytest.mark.parametrize("mode", ["development", "production"])
def test_demo_imports_apps_in_load_order_within_each_kind(mode: str, development: Run, production: Run) -> None:
    run = development if mode == "development" else production
    imported = run.imported()
    for kind in KINDS:
        apps = [name.rsplit(".", 1)[0] for name in imported if name.endswith(f".{kind}")]
        assert apps == [app for app in run.load_order() if f"{app}.{kind}" in imported]
    # Only what an app lacks is skipped (debugtools has views only; main.py passes strict=False).
    assert imported == [
        "core.models",
        "users.models",
        "blog.models",
        "core.services",
        "users.services",
        "blog.services",
        "core.views",
        "users.views",
        "blog.views",
        *(["debugtools.views"] if mode == "development" else []),
        "blog.tasks",
        "blog.workers",
    ]


def test_demo_initializes_each_module_right_after_importing_it(development: Run) -> None:
    steps = development.steps("startup")
    for index, (verb, name) in enumerate(steps):
        if verb == "init":
            assert steps[index - 1] == ("import", name)


def test_demo_starts_apps_after_every_module_in_registration_order(development: Run) -> None:
    verbs = [verb for verb, _ in development.steps("startup")]
    first_start = verbs.index("start")
    assert set(verbs[first_start:]) == {"start"}
    # users implements no lifecycle hook: its services module has initialize()/teardown() instead.
    # The workers of blog/workers.py start last, after every app's spoc_startup (core's hooks print them).
    assert [name for verb, name in development.steps("startup") if verb == "start"] == [
        "core",
        "blog",
        "debugtools",
        "blog.Indexer",
        "blog.digest",
    ]


def test_demo_stops_workers_before_spoc_shutdown_once_they_finished_their_work(development: Run) -> None:
    shutdown = development.sections["shutdown"]
    assert shutdown[:2] == [
        "  stop      blog.digest       periodic worker stopped",
        "  stop      blog.Indexer      thread worker stopped",
    ]
    # The indexer drains its queue before it stops: both posts are indexed by the time blog stops.
    assert "  stop      blog              no longer accepting posts (2 published, 2 indexed)" in shutdown


@pytest.mark.parametrize("mode", ["development", "production"])
def test_demo_shutdown_is_the_exact_reverse_of_startup(mode: str, development: Run, production: Run) -> None:
    run = development if mode == "development" else production
    startup = run.steps("startup")
    shutdown = run.steps("shutdown")
    assert len(startup) > 10
    assert shutdown == [(UNDO[verb], name) for verb, name in reversed(startup)]


def test_demo_lists_components_by_kind_under_app_names(development: Run) -> None:
    components = " ".join(development.sections["components"])
    assert "models    core.Site, users.User, blog.Post" in components
    # An imported name is not a component of the importing module.
    assert "blog.User" not in components
    assert re.search(
        r"views\s+core\.health, users\.list_users, blog\.list_posts, blog\.show_post,\s+debugtools\.", components
    )


def test_demo_serves_views_through_the_invoke_middleware(development: Run, production: Run) -> None:
    requests = "\n".join(development.sections["requests"])
    assert "[debugtools] apps.blog.views.list_posts() took" in requests
    assert "| The SPOC Blog: 2 latest post(s)" in requests
    assert "| - Hello, SPOC! by Ada Lovelace:" in requests
    assert "[debugtools]" not in "\n".join(production.sections["requests"])


def test_demo_runs_from_another_folder() -> None:
    run = run_demo(cwd=DEMO.parents[1])
    assert run.returncode == 0, run.stderr
    assert run.sections["done"] == []
