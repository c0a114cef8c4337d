"""Framework: construction, starting and stopping, async, failure and its undo, shutdown."""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory, write_files

import spoc
from spoc.errors import (
    AppImportError,
    AsyncHookError,
    ConfigError,
    ShutdownError,
    SpocError,
    StartupError,
)
from spoc.framework import Framework, Schema

if sys.version_info >= (3, 11):
    from builtins import ExceptionGroup
else:  # pragma: no cover - depends on the interpreter
    from exceptiongroup import ExceptionGroup

from framework_support import (
    SCHEMA,
    Plugin,
    Recorder,
    app_source,
    hooks_lines,
    lines,
    location,
    module_source,
    project_files,
    recording_schema,
    short,
    toml,
)

# -- construction ---------------------------------------------------------


def test_constructing_imports_the_app_packages_but_no_schema_module_and_starts_nothing(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models", "views"])
    files["apps/blog/__init__.py"] = app_source("blog", *hooks_lines("blog"))
    root = make_project(files, apps=["blog", "users"])

    fw = Framework(root, SCHEMA, plugins=[Plugin(rec, "plugin")])

    assert rec.calls == ["import app blog", "import app users"]
    assert "apps.blog" in sys.modules
    assert "apps.users" in sys.modules
    assert not [name for name in sys.modules if name.endswith((".models", ".views")) and name.startswith("apps.")]
    assert not fw.started
    assert fw.modules == {}
    assert fw.installed_apps == ["blog", "users"]


def test_import_modules_imports_every_schema_module_in_order_and_starts_nothing(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models", "views"])
    files["apps/blog/views.py"] = module_source("blog.views", *hooks_lines("blog.views"))
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, SCHEMA, plugins=[Plugin(rec, "plugin")])
    rec.calls.clear()

    modules = fw.import_modules()

    assert list(modules) == ["blog.models", "users.models", "blog.views", "users.views"]
    assert rec.calls == ["import blog.models", "import users.models", "import blog.views", "import users.views"]
    assert not fw.started
    assert fw.modules == {}
    fw.startup()
    assert "import blog.models" not in rec.calls[4:]  # startup finds them imported
    assert rec.calls[4:].count("blog.models.initialize") == 1
    assert "start blog.views" in rec.calls
    fw.shutdown()


@pytest.mark.parametrize("as_type", [str, Path], ids=["str", "Path"])
def test_base_dir_may_be_a_str_or_a_path(make_project: ProjectFactory, rec: Recorder, as_type: type) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])

    fw = Framework(as_type(root), Schema(modules=["models"]))

    assert fw.base_dir == root.resolve()
    assert fw.startup().get_component("models", "blog.Missing") is None
    assert "import blog.models" in rec.calls
    fw.shutdown()


def test_startup_returns_the_framework_and_a_second_call_does_nothing(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    assert fw.startup() is fw
    assert fw.startup() is fw

    assert fw.started
    assert rec.calls == ["import app blog", "import blog.models", "blog.models.initialize"]
    fw.shutdown()


def test_shutdown_returns_the_framework_and_does_nothing_when_not_started(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    assert fw.shutdown() is fw
    assert rec.calls == ["import app blog"]

    fw.startup()
    assert fw.shutdown() is fw
    assert fw.shutdown() is fw
    assert rec.calls.count("blog.models.teardown") == 1
    assert not fw.started


def test_a_with_block_starts_on_enter_and_shuts_down_on_exit(make_project: ProjectFactory, rec: Recorder) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])

    with Framework(root, Schema(modules=["models"])) as fw:
        assert fw.started
        rec.hit("body")

    assert not fw.started
    assert rec.calls[-2:] == ["body", "blog.models.teardown"]


def test_a_with_block_shuts_down_also_when_the_body_raises(make_project: ProjectFactory, rec: Recorder) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(KeyError, match="from the body"), fw:
        raise KeyError("from the body")

    assert not fw.started
    assert rec.calls[-1] == "blog.models.teardown"


def test_a_framework_can_be_started_again_after_shutdown(make_project: ProjectFactory, rec: Recorder) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] += lines("@spoc.component", "class Post:", "    pass")
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    fw.startup().shutdown()
    fw.startup()

    assert fw.started
    assert list(fw.components.models) == ["blog.Post"]
    assert rec.calls.count("blog.models.initialize") == 2
    fw.shutdown()


def test_an_unknown_mode_alias_is_a_config_error_that_lists_the_valid_ones(make_project: ProjectFactory) -> None:
    root = make_project(apps=[])

    with pytest.raises(ConfigError) as info:
        Framework(root, mode="lose")

    assert "(did you mean 'loose'?)" in str(info.value)
    assert "'strict' or 'loose'" in str(info.value)


# -- async ----------------------------------------------------------------


def test_async_with_awaits_async_spoc_startup_and_spoc_shutdown(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {"apps/blog/__init__.py": app_source("blog", "import asyncio", *hooks_lines("blog", prefix="async "))}
    root = make_project(files, apps=["blog"])

    async def main() -> Framework:
        async with Framework(root) as fw:
            assert fw.started
            rec.hit("body")
        return fw

    fw = asyncio.run(main())

    assert not fw.started
    assert rec.calls == ["import app blog", "start blog", "body", "stop blog"]


def test_astartup_and_ashutdown_await_async_schema_hooks_and_module_functions(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/models.py": lines(
            "import asyncio",
            "import spoc_test_recorder as rec",
            "",
            "async def initialize():",
            "    await asyncio.sleep(0)",
            "    rec.hit('blog.models.initialize')",
            "",
            "async def teardown():",
            "    await asyncio.sleep(0)",
            "    rec.hit('blog.models.teardown')",
        ),
    }
    root = make_project(files, apps=["blog"])

    async def start(module: types.ModuleType) -> None:
        await asyncio.sleep(0)
        rec.hit(f"schema start {short(module)}")

    async def stop(module: types.ModuleType) -> None:
        await asyncio.sleep(0)
        rec.hit(f"schema stop {short(module)}")

    fw = Framework(root, Schema(modules=["models"], hooks={"models": {"startup": start, "shutdown": stop}}))

    async def main() -> None:
        assert await fw.astartup() is fw
        assert await fw.astartup() is fw
        rec.hit("running")
        assert await fw.ashutdown() is fw
        assert await fw.ashutdown() is fw

    asyncio.run(main())

    assert rec.calls == [
        "schema start blog.models",
        "blog.models.initialize",
        "running",
        "blog.models.teardown",
        "schema stop blog.models",
    ]


def test_a_failing_async_startup_awaits_the_shutdown_of_what_started(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        f"apps/{app}/__init__.py": app_source(app, "import asyncio", *hooks_lines(app, prefix="async "))
        for app in ("blog", "users")
    }
    root = make_project(files, apps=["blog", "users"])
    rec.failing.add("start users")
    fw = Framework(root)

    with pytest.raises(StartupError, match=r"spoc_startup of app plugin 'apps\.users'"):
        asyncio.run(fw.astartup())

    assert rec.calls[2:] == ["start blog", "start users", "stop blog"]
    assert not fw.started


@pytest.mark.parametrize("hook", ["spoc_startup", "spoc_shutdown", "spoc_register_components"])
def test_sync_startup_refuses_an_async_app_hookimpl_before_doing_anything(
    make_project: ProjectFactory, rec: Recorder, hook: str
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/__init__.py"] = app_source(
        "blog", "@spoc.hookimpl", f"async def {hook}(framework):", "    rec.hit('async hook')"
    )
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(AsyncHookError) as info:
        fw.startup()

    where = location(root.resolve() / "apps/blog/__init__.py", "@spoc.hookimpl")
    message = str(info.value)
    assert f"{hook} of plugin 'apps.blog'" in message
    assert where in message
    assert info.value.location == where
    assert "await fw.astartup()" in message
    assert rec.calls == ["import app blog"]
    assert "apps.blog.models" not in sys.modules
    assert not fw.started


def test_sync_startup_refuses_an_async_schema_hook_before_doing_anything(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])

    async def start(module: types.ModuleType) -> None: ...

    fw = Framework(root, Schema(modules=["models"], hooks={"models": {"startup": start}}))

    with pytest.raises(AsyncHookError) as info:
        fw.startup()

    assert "the Schema startup hook of 'models'" in str(info.value)
    assert f"{__file__}:{start.__code__.co_firstlineno}" in str(info.value)
    assert "astartup()" in str(info.value)
    assert rec.calls == ["import app blog"]
    assert "apps.blog.models" not in sys.modules


def test_sync_startup_refuses_an_async_module_initialize_and_undoes_what_it_did(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/users/models.py"] = lines("async def initialize():", "    pass")
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(AsyncHookError) as info:
        fw.startup()

    assert "users.models.initialize()" in str(info.value)
    assert location(root.resolve() / "apps/users/models.py", "async def initialize") in str(info.value)
    assert "astartup()" in str(info.value)
    assert rec.calls[-1] == "blog.models.teardown"
    assert not fw.started
    assert fw.modules == {}


# -- failure --------------------------------------------------------------


def test_a_failing_initialize_names_the_step_chains_the_cause_and_undoes_earlier_steps_in_reverse(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models", "views"])
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, recording_schema(rec), plugins=[Plugin(rec, "plugin")])
    rec.failing.add("blog.views.initialize")
    rec.calls.clear()

    with pytest.raises(StartupError) as info:
        fw.startup()

    assert info.value.step == "blog.views.initialize()"
    assert "startup failed at step `blog.views.initialize()`" in str(info.value)
    assert "RuntimeError: blog.views.initialize failed on purpose" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert rec.calls == [
        "import blog.models", "schema start blog.models", "blog.models.initialize",
        "import users.models", "schema start users.models", "users.models.initialize",
        "import blog.views", "blog.views.initialize",
        "users.models.teardown", "schema stop users.models",
        "blog.models.teardown", "schema stop blog.models",
    ]  # fmt: skip
    assert not fw.started
    assert fw.modules == {}
    assert dict(fw.components.models) == {}


def test_a_failing_spoc_startup_stops_only_the_implementations_that_started(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files.update({f"apps/{app}/__init__.py": app_source(app, *hooks_lines(app)) for app in ("blog", "users")})
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]), plugins=[Plugin(rec, "plugin")])
    rec.failing.add("start blog")
    rec.calls.clear()

    with pytest.raises(StartupError) as info:
        fw.startup()

    init = root.resolve() / "apps/blog/__init__.py"
    assert info.value.step.startswith("spoc_startup of app plugin 'apps.blog'")
    assert location(init, "@spoc.hookimpl") in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert rec.calls == [
        "import blog.models", "blog.models.initialize",
        "import users.models", "users.models.initialize",
        "register plugin", "start plugin", "start blog",
        "stop plugin", "users.models.teardown", "blog.models.teardown",
    ]  # fmt: skip
    assert "stop blog" not in rec.calls
    assert not fw.started


def test_errors_while_undoing_a_failed_startup_are_reported_with_it(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project(project_files(["blog", "users"], ["models"]), apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))
    rec.failing.update({"users.models.initialize", "blog.models.teardown"})

    with pytest.raises(StartupError) as info:
        fw.startup()

    assert len(info.value.undo_errors) == 1
    assert "blog.models.teardown()" in str(info.value)
    assert "blog.models.teardown failed on purpose" in str(info.value)


def test_startup_works_again_after_a_failing_initialize_is_fixed(make_project: ProjectFactory, rec: Recorder) -> None:
    files = project_files(["blog", "users"], ["models"])
    for app in ("blog", "users"):
        files[f"apps/{app}/models.py"] += lines("@spoc.component", "class Model:", "    pass")
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))
    rec.failing.add("users.models.initialize")
    with pytest.raises(StartupError):
        fw.startup()

    rec.failing.clear()
    fw.startup()

    assert fw.started
    assert list(fw.components.models) == ["blog.Model", "users.Model"]
    assert list(fw.modules) == ["blog.models", "users.models"]
    fw.shutdown()


def test_startup_works_again_after_a_module_that_failed_to_import_is_rewritten(
    make_project: ProjectFactory, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    files = project_files(["blog", "users"], ["models"])
    files["apps/users/models.py"] = lines("import spoc", "raise RuntimeError('half-written module')")
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))
    with pytest.raises(AppImportError, match="half-written module"):
        fw.startup()
    assert rec.calls[-1] == "blog.models.teardown"

    write_files(root, {"apps/users/models.py": lines("import spoc", "", "@spoc.component", "class User:", "    pass")})
    fw.startup()

    assert fw.started
    assert list(fw.components.models) == ["users.User"]
    assert list(fw.modules) == ["blog.models", "users.models"]
    fw.shutdown()


def test_startup_runs_the_current_code_of_a_module_rewritten_after_its_initialize_failed(
    make_project: ProjectFactory, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc_test_recorder as rec", "def initialize():", "    raise RuntimeError('not configured')"
    )
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))
    with pytest.raises(StartupError, match="not configured"):
        fw.startup()

    write_files(
        root,
        {"apps/blog/models.py": lines("import spoc_test_recorder as rec", "def initialize():", "    rec.hit('fixed')")},
    )
    fw.startup()

    assert rec.calls == ["import app blog", "fixed"]
    fw.shutdown()


def test_a_restarted_framework_imports_its_modules_afresh(make_project: ProjectFactory, rec: Recorder) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    fw.startup().shutdown().startup()

    assert rec.calls.count("import blog.models") == 2
    fw.shutdown()


def test_two_frameworks_of_different_projects_take_turns_in_one_process(tmp_path: Path, rec: Recorder) -> None:
    first = write_files(tmp_path / "one", {**project_files(["blog"], ["models"]), "config/spoc.toml": toml(["blog"])})
    second = write_files(tmp_path / "two", {**project_files(["shop"], ["models"]), "config/spoc.toml": toml(["shop"])})
    one, two = Framework(first, Schema(modules=["models"])), Framework(second, Schema(modules=["models"]))

    one.startup().shutdown()
    two.startup().shutdown()
    one.startup()

    assert rec.calls.count("import blog.models") == 2 and rec.calls.count("import shop.models") == 1
    one.shutdown()


def test_components_added_by_spoc_register_components_go_at_shutdown_so_a_restart_works(
    make_project: ProjectFactory,
) -> None:
    class Registrar:
        @spoc.hookimpl
        def spoc_register_components(self, framework: Framework) -> None:
            framework.components.add("handlers", "extra.handler", lambda: "fresh each time")

    fw = Framework(make_project(apps=[]), Schema(modules=["models"]), plugins=[Registrar()])

    fw.startup()
    assert fw.invoke("handlers", "extra.handler") == "fresh each time"
    fw.shutdown()
    assert fw.get_component("handlers", "extra.handler") is None
    assert list(fw.components) == ["models"]

    fw.startup()
    assert fw.invoke("handlers", "extra.handler") == "fresh each time"
    fw.shutdown()


@pytest.mark.usefixtures("no_entry_point_plugins")
def test_a_spoc_run_step_wrapper_sees_every_startup_step_and_every_undo_step(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    seen: list[tuple[str, str, bool]] = []

    class StepWatcher:
        @spoc.hookimpl(wrapper=True)
        def spoc_run_step(self, step: Any, undo: bool) -> Generator[None, Any, Any]:
            seen.append((step.kind, step.target, undo))
            return (yield)

    files = project_files(["blog"], ["models"])
    files["apps/blog/__init__.py"] = app_source("blog", *hooks_lines("blog"))
    root = make_project(files, apps=["blog"])
    schema = Schema(modules=["models"], hooks={"models": {"startup": print, "shutdown": print}})
    fw = Framework(root, schema, plugins=[StepWatcher()])

    fw.startup().shutdown()

    assert seen == [
        ("prepare", "", False),
        ("import", "blog.models", False),
        ("schema_hook", "blog.models", False),
        ("initialize", "blog.models", False),
        ("spoc_startup", "apps.blog", False),
        ("spoc_startup", "apps.blog", True),
        ("initialize", "blog.models", True),
        ("schema_hook", "blog.models", True),
        ("import", "blog.models", True),
        ("prepare", "", True),
    ]


# -- shutdown -------------------------------------------------------------


def test_every_shutdown_step_runs_even_when_several_fail_and_the_failures_are_raised_together(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files.update({f"apps/{app}/__init__.py": app_source(app, *hooks_lines(app)) for app in ("blog", "users")})
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))
    fw.startup()
    rec.failing.update({"stop users", "blog.models.teardown", "users.models.teardown"})
    rec.calls.clear()

    with pytest.raises(ShutdownError) as info:
        fw.shutdown()

    error = info.value
    assert isinstance(error, SpocError)
    assert isinstance(error, ExceptionGroup)
    assert rec.calls == ["stop users", "stop blog", "users.models.teardown", "blog.models.teardown"]
    assert [str(exc.__cause__) for exc in error.exceptions] == [
        "stop users failed on purpose",
        "users.models.teardown failed on purpose",
        "blog.models.teardown failed on purpose",
    ]
    assert "spoc_shutdown of app plugin 'apps.users'" in str(error.exceptions[0])
    assert "3 shutdown step(s) failed" in str(error)
    assert not fw.started
    assert fw.shutdown() is fw
