"""What a Framework says when used as upstream SPOC 0.3 taught, or when its plugins misbehave while it is built."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import NotStartedError, PluginHookError
from spoc.framework import Framework
from spoc.plugins.echo import LifecycleEcho

TOML = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n\n[spoc.schema]\nmodules = ["models"]\n'
FILES = {
    "apps/blog/__init__.py": """
        import spoc

        @spoc.hookimpl
        def spoc_startup():
            pass

        @spoc.hookimpl
        def spoc_shutdown():
            pass
    """,
    "apps/blog/models.py": """
        import spoc

        @spoc.component
        class Post:
            pass

        def initialize():
            pass

        def teardown():
            pass
    """,
}


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(FILES, toml=TOML)


@pytest.mark.parametrize(
    "read",
    [
        lambda fw: fw.components,
        lambda fw: fw.get_component("models", "blog.Post"),
        lambda fw: fw.invoke("models", "blog.Post"),
    ],
    ids=["components", "get_component", "invoke"],
)
def test_reading_components_before_startup_says_to_call_startup(project: Path, read: object) -> None:
    fw = Framework(project)

    with pytest.raises(NotStartedError, match=r"never started.*Call fw.startup\(\) first \(or use `with Framework"):
        read(fw)  # type: ignore[operator]


def test_components_read_after_startup_and_after_shutdown(project: Path) -> None:
    fw = Framework(project).startup()
    assert fw.get_component("models", "blog.Post") is fw.components.models["blog.Post"]

    fw.shutdown()

    assert dict(fw.components.models) == {}  # forgotten, not an error: the framework did run


def test_echo_prints_each_step_and_its_undo_in_reverse(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Framework(project, echo=True):
        started = capsys.readouterr().out

    stopped = capsys.readouterr().out
    assert started.splitlines() == ["  import    blog.models", "  init      blog.models", "  start     apps.blog"]
    assert stopped.splitlines() == ["  stop      apps.blog", "  teardown  blog.models", "  unload    blog.models"]


def test_echo_is_off_by_default(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Framework(project):
        pass

    assert capsys.readouterr().out == ""


def test_the_echo_writes_where_it_is_told() -> None:
    stream = io.StringIO()
    echo = LifecycleEcho(stream)
    step = spoc.Step("import blog.models", lambda: None, kind="import", target="blog.models")

    wrapper = echo.spoc_run_step(step, False)
    next(wrapper)

    assert stream.getvalue() == "  import    blog.models\n"


def test_a_spoc_load_settings_that_raises_names_the_plugin_and_the_hook(project: Path) -> None:
    class Broken:
        @spoc.hookimpl
        def spoc_load_settings(self) -> None:
            raise RuntimeError("AUDIT_URL is not set")

    with pytest.raises(PluginHookError) as caught:
        Framework(project, plugins=[Broken()])

    error = caught.value
    assert error.hook == "spoc_load_settings"
    assert error.plugin == "plugin-0"
    assert "raised in spoc_load_settings at " in str(error)
    assert str(error).endswith("RuntimeError: AUDIT_URL is not set. Fix the implementation.")
    assert isinstance(error.__cause__, RuntimeError)


def test_a_spoc_add_hookspecs_that_raises_names_the_plugin_and_the_hook(project: Path) -> None:
    class Broken:
        @spoc.hookimpl
        def spoc_add_hookspecs(self, plugin_manager: object) -> None:
            raise ValueError("no specs today")

    with pytest.raises(PluginHookError, match=r"raised in spoc_add_hookspecs at .*ValueError: no specs today"):
        Framework(project, plugins=[Broken()])
