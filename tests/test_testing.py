"""The pytest plugin SPOC ships (spoc/testing.py): its fixtures, used here as a user would use them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import spoc

MODELS = """
    import spoc

    class Post:
        pass

    spoc.component(Post)
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @spoc.hookimpl
    def spoc_startup(self, framework: Any) -> None:
        self.calls.append(f"start {','.join(framework.installed_apps)}")

    @spoc.hookimpl
    def spoc_shutdown(self) -> None:
        self.calls.append("stop")


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_spoc_project_writes_the_configuration_the_apps_and_the_files(spoc_project: Any) -> None:
    project = spoc_project(
        {"apps/blog/models.py": MODELS}, apps=["blog"], modules=["models", "views"], dependencies={"views": ["models"]}
    )

    toml = (project / "config" / "spoc.toml").read_text(encoding="utf-8")
    assert 'production = ["blog"]' in toml
    assert 'modules = ["models", "views"]' in toml
    assert 'views = ["models"]' in toml
    assert (project / "apps" / "blog" / "__init__.py").read_text(encoding="utf-8") == ""
    assert (project / "apps" / "blog" / "models.py").read_text(encoding="utf-8").startswith("import spoc\n")


def test_spoc_framework_returns_a_started_framework(spoc_project: Any, spoc_framework: Any) -> None:
    project = spoc_project({"apps/blog/models.py": MODELS}, apps=["blog"], modules=["models"])

    fw = spoc_framework(project)

    assert fw.started
    assert list(fw.components.models) == ["blog.Post"]


def test_spoc_framework_can_only_construct(spoc_project: Any, spoc_framework: Any) -> None:
    fw = spoc_framework(spoc_project(apps=["blog"]), start=False)

    assert not fw.started


def test_spoc_plugins_are_registered_in_every_framework_of_the_test(
    spoc_project: Any, spoc_framework: Any, spoc_plugins: list[Any]
) -> None:
    recorder = Recorder()
    spoc_plugins.append(recorder)

    fw = spoc_framework(spoc_project(apps=["blog"]))
    fw.shutdown()

    assert recorder.calls == ["start blog", "stop"]


def test_spoc_plugins_start_empty_in_each_test(spoc_plugins: list[Any]) -> None:
    assert spoc_plugins == []


TEST_FILE = """
    import spoc

    STOPPED = []

    class Stopper:
        @spoc.hookimpl
        def spoc_shutdown(self):
            STOPPED.append("stopped")

    def test_fails_while_started(spoc_project, spoc_framework, spoc_plugins):
        spoc_plugins.append(Stopper())
        spoc_framework(spoc_project(apps=["blog"]))
        assert False, "the test fails with the framework started"

    def test_the_framework_of_the_failed_test_was_stopped():
        assert STOPPED == ["stopped"]

    def test_the_apps_of_the_failed_test_are_gone():
        import sys
        assert "apps.blog" not in sys.modules

    def test_a_failing_shutdown_fails_the_test(spoc_project, spoc_framework):
        failing = "import spoc\\n\\n@spoc.hookimpl\\ndef spoc_shutdown():\\n    raise OSError('disk full')\\n"
        spoc_framework(spoc_project({"apps/blog/__init__.py": failing}, apps=["blog"]))
"""


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(TEST_FILE), encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SPOC_", "PYTEST_"))}
    env["SPOC_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", *args, "test_user.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_users_test_run_gets_the_fixtures_and_every_framework_is_shut_down(tmp_path: Path) -> None:
    result = _pytest(tmp_path)

    assert "FAILED test_user.py::test_fails_while_started" in result.stdout
    assert "ERROR test_user.py::test_a_failing_shutdown_fails_the_test" in result.stdout
    assert "disk full" in result.stdout
    # The failing shutdown is reported as an error of that test's teardown, after its call passed.
    assert "1 failed, 3 passed, 1 error" in result.stdout, result.stdout


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "-p", "no:spoc")

    assert "fixture 'spoc_project' not found" in result.stdout


def test_the_examples_of_docs_testing_md_pass(tmp_path: Path) -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    (tmp_path / "test_docs_examples.py").write_text("\n\n".join(blocks), encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SPOC_", "PYTEST_"))}
    env["SPOC_DISABLE_PLUGIN_AUTOLOAD"] = "1"

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_docs_examples.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout
    assert f"{len(blocks)} passed" in result.stdout
