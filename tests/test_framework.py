"""Unit tests of spoc.framework.Framework: construction, order, lifecycle, failure, components, hooks.

Each test builds a small project in tmp_path. The project's modules record what
happens in ``spoc_test_recorder``, a module object the ``rec`` fixture puts in
``sys.modules`` (conftest removes every ``spoc_test_*`` module after a test).
"""

from __future__ import annotations

import asyncio
import logging
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
    AppNotFoundError,
    AsyncHookError,
    ConfigError,
    DuplicateComponentError,
    HookValidationError,
    ModuleMissingError,
    ShutdownError,
    SpocError,
    StartupError,
)
from spoc.framework import Framework, Schema

if sys.version_info >= (3, 11):
    from builtins import ExceptionGroup
else:  # pragma: no cover - depends on the interpreter
    from exceptiongroup import ExceptionGroup

SCHEMA = Schema(modules=["models", "views"], dependencies={"views": ["models"]})


class Recorder(types.ModuleType):
    """The ``spoc_test_recorder`` module: a list of events, and the events that must fail."""

    def __init__(self) -> None:
        super().__init__("spoc_test_recorder")
        self.calls: list[str] = []
        self.failing: set[str] = set()

    def hit(self, event: str) -> None:
        """Record ``event``; raise if it is one of ``failing``."""
        self.calls.append(event)
        if event in self.failing:
            raise RuntimeError(f"{event} failed on purpose")


@pytest.fixture
def rec(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setitem(sys.modules, recorder.__name__, recorder)
    return recorder


def lines(*parts: str) -> str:
    return "\n".join(parts) + "\n"


def module_source(label: str, *extra: str) -> str:
    """A Schema module that records its import, ``initialize()`` and ``teardown()``."""
    return lines(
        "import spoc",
        "import spoc_test_recorder as rec",
        f"rec.hit('import {label}')",
        "",
        "def initialize():",
        f"    rec.hit('{label}.initialize')",
        "",
        "def teardown():",
        f"    rec.hit('{label}.teardown')",
        "",
        *extra,
    )


def hooks_lines(owner: str, marker: str = "@spoc.hookimpl", prefix: str = "") -> tuple[str, ...]:
    """Module-level ``spoc_startup``/``spoc_shutdown`` implementations that record ``owner``."""
    return (
        marker,
        f"{prefix}def spoc_startup(framework):",
        f"    rec.hit('start {owner}')",
        "",
        marker,
        f"{prefix}def spoc_shutdown(framework):",
        f"    rec.hit('stop {owner}')",
        "",
    )


def app_source(app: str, *extra: str) -> str:
    """An app package that records its import."""
    return lines("import spoc", "import spoc_test_recorder as rec", f"rec.hit('import app {app}')", "", *extra)


def project_files(apps: list[str], kinds: list[str]) -> dict[str, str]:
    files = {f"apps/{app}/__init__.py": app_source(app) for app in apps}
    files.update({f"apps/{app}/{kind}.py": module_source(f"{app}.{kind}") for app in apps for kind in kinds})
    return files


def toml(apps: list[str], mode: str = "production", extra: str = "") -> str:
    listed = ", ".join(f'"{app}"' for app in apps)
    return f'[spoc]\nmode = "{mode}"\n\n[spoc.apps]\n{mode} = [{listed}]\n{extra}'


def location(path: Path, text: str) -> str:
    """Return ``path:line`` of the first line of ``path`` holding ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return f"{path}:{number}"
    raise AssertionError(f"{text!r} not in {path}")


def short(module: types.ModuleType) -> str:
    return module.__name__.removeprefix("apps.")


def recording_schema(rec: Recorder, **extra: Any) -> Schema:
    """SCHEMA with Schema hooks on ``models`` that record the module they receive."""
    return Schema(
        modules=["models", "views"],
        dependencies={"views": ["models"]},
        hooks={
            "models": {
                "startup": lambda module: rec.hit(f"schema start {short(module)}"),
                "shutdown": lambda module: rec.hit(f"schema stop {short(module)}"),
            }
        },
        **extra,
    )


class Plugin:
    """A plugin passed with ``Framework(plugins=[...])`` that records its lifecycle."""

    def __init__(self, rec: Recorder, name: str) -> None:
        self.rec = rec
        self.label = name

    @spoc.hookimpl
    def spoc_register_components(self, framework: Framework) -> None:
        self.rec.hit(f"register {self.label}")

    @spoc.hookimpl
    def spoc_startup(self, framework: Framework) -> None:
        self.rec.hit(f"start {self.label}")

    @spoc.hookimpl
    def spoc_shutdown(self, framework: Framework) -> None:
        self.rec.hit(f"stop {self.label}")


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


# -- order ----------------------------------------------------------------


def test_modules_are_imported_kind_by_kind_in_dependency_order_and_by_app_load_order_within_a_kind(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project(project_files(["blog", "users"], ["models", "views"]), apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["views", "models"], dependencies={"views": ["models"]}))

    fw.startup()

    imports = [call.removeprefix("import ") for call in rec.calls if call.startswith("import ") and "app" not in call]
    assert imports == ["blog.models", "users.models", "blog.views", "users.views"]
    assert fw.import_order == imports
    assert list(fw.modules) == imports
    fw.shutdown()


def test_independent_kinds_keep_the_schema_order(make_project: ProjectFactory, rec: Recorder) -> None:
    root = make_project(project_files(["blog"], ["views", "admin", "models"]), apps=["blog"])
    fw = Framework(root, Schema(modules=["views", "admin", "models"], dependencies={"admin": ["models"]}))

    assert fw.import_order == ["blog.views", "blog.models", "blog.admin"]

    fw.startup()
    assert [call for call in rec.calls if call.startswith("import blog.")] == [
        "import blog.views",
        "import blog.models",
        "import blog.admin",
    ]
    fw.shutdown()


def test_a_dependency_on_a_kind_not_listed_in_modules_is_still_imported_first(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project(project_files(["blog", "users"], ["models", "views"]), apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["views"], dependencies={"views": ["models"]}))

    fw.startup()

    assert fw.import_order == ["blog.models", "users.models", "blog.views", "users.views"]
    assert [call for call in rec.calls if call.startswith("import ") and "app" not in call] == [
        "import blog.models",
        "import users.models",
        "import blog.views",
        "import users.views",
    ]
    fw.shutdown()


def test_the_schema_can_come_from_spoc_toml(make_project: ProjectFactory, rec: Recorder) -> None:
    extra = '\n[spoc.schema]\nmodules = ["views", "models"]\n\n[spoc.schema.dependencies]\nviews = ["models"]\n'
    root = make_project(project_files(["blog"], ["models", "views"]), toml=toml(["blog"], extra=extra))

    fw = Framework(root)

    assert fw.import_order == ["blog.models", "blog.views"]


def test_apps_load_installed_apps_first_then_the_mode_cascade_base_first(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    apps = ["core", "blog", "stage", "debug"]
    files = project_files(apps, ["models"])
    files["config/settings.py"] = 'INSTALLED_APPS = ["core"]\n'
    text = lines(
        "[spoc]",
        'mode = "development"',
        "[spoc.apps]",
        'development = ["debug", "blog"]',
        'staging = ["stage"]',
        'production = ["blog", "core"]',
    )
    root = make_project(files, toml=text)

    fw = Framework(root, Schema(modules=["models"]))
    fw.startup()

    assert fw.installed_apps == ["core", "blog", "stage", "debug"]
    assert list(fw.modules) == ["core.models", "blog.models", "stage.models", "debug.models"]
    fw.shutdown()


def test_schema_hooks_receive_the_imported_module_object(make_project: ProjectFactory, rec: Recorder) -> None:
    root = make_project(project_files(["blog"], ["models"]), apps=["blog"])
    received: list[tuple[str, types.ModuleType]] = []
    schema = Schema(
        modules=["models"],
        hooks={
            "models": {
                "startup": lambda module: received.append(("startup", module)),
                "shutdown": lambda module: received.append(("shutdown", module)),
            }
        },
    )
    fw = Framework(root, schema)

    fw.startup()
    module = sys.modules["apps.blog.models"]
    assert fw.modules["blog.models"] is module
    fw.shutdown()

    assert received == [("startup", module), ("shutdown", module)]


def test_the_whole_lifecycle_runs_in_order_and_shutdown_is_its_exact_reverse(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models", "views"])
    files["apps/blog/__init__.py"] = app_source("blog", *hooks_lines("blog"))
    files["apps/users/views.py"] = module_source("users.views", *hooks_lines("users.views"))
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, recording_schema(rec), plugins=[Plugin(rec, "plugin")])
    rec.calls.clear()

    fw.startup()
    started = list(rec.calls)
    rec.calls.clear()
    fw.shutdown()

    assert started == [
        "import blog.models", "schema start blog.models", "blog.models.initialize",
        "import users.models", "schema start users.models", "users.models.initialize",
        "import blog.views", "blog.views.initialize",
        "import users.views", "users.views.initialize",
        "register plugin",
        "start plugin", "start blog", "start users.views",
    ]  # fmt: skip
    assert rec.calls == [
        "stop users.views", "stop blog", "stop plugin",
        "users.views.teardown", "blog.views.teardown",
        "users.models.teardown", "schema stop users.models",
        "blog.models.teardown", "schema stop blog.models",
    ]  # fmt: skip


# -- spoc_startup / spoc_shutdown order -----------------------------------


def test_spoc_startup_runs_first_registered_first_and_spoc_shutdown_in_reverse(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {f"apps/{app}/__init__.py": app_source(app, *hooks_lines(app)) for app in ("blog", "users")}
    files["apps/blog/models.py"] = lines("import spoc", "import spoc_test_recorder as rec", *hooks_lines("blog.models"))
    root = make_project(files, apps=["users", "blog"])
    fw = Framework(root, Schema(modules=["models"]), strict=False, plugins=[Plugin(rec, "one"), Plugin(rec, "two")])
    rec.calls.clear()

    fw.startup()
    fw.shutdown()

    assert rec.calls == [
        "register one", "register two",
        "start one", "start two", "start users", "start blog", "start blog.models",
        "stop blog.models", "stop blog", "stop users", "stop two", "stop one",
    ]  # fmt: skip


def test_tryfirst_and_trylast_change_the_startup_order_and_shutdown_mirrors_it(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        "apps/late/__init__.py": app_source("late", *hooks_lines("late", "@spoc.hookimpl(trylast=True)")),
        "apps/early/__init__.py": app_source("early", *hooks_lines("early", "@spoc.hookimpl(tryfirst=True)")),
        "apps/plain/__init__.py": app_source("plain", *hooks_lines("plain")),
    }
    root = make_project(files, apps=["late", "early", "plain"])
    fw = Framework(root, plugins=[Plugin(rec, "plugin")])
    rec.calls.clear()

    fw.startup()
    fw.shutdown()

    assert rec.calls == [
        "register plugin",
        "start early", "start plugin", "start plain", "start late",
        "stop late", "stop plain", "stop plugin", "stop early",
    ]  # fmt: skip


@pytest.mark.usefixtures("no_entry_point_plugins")
def test_a_wrapper_of_spoc_startup_wraps_each_implementation_call(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {f"apps/{app}/__init__.py": app_source(app, *hooks_lines(app)) for app in ("blog", "users")}
    root = make_project(files, apps=["blog", "users"])

    class Timing:
        @spoc.hookimpl(wrapper=True)
        def spoc_startup(self, framework: Framework) -> Generator[None, Any, Any]:
            rec.hit("timing before")
            result = yield
            rec.hit("timing after")
            return result

    fw = Framework(root, plugins=[Timing()])
    rec.calls.clear()

    fw.startup()

    assert rec.calls == [
        "timing before", "start blog", "timing after",
        "timing before", "start users", "timing after",
    ]  # fmt: skip
    fw.shutdown()


def test_a_plugin_registered_on_the_plugin_manager_directly_is_started_and_stopped_in_mirror_order(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/__init__.py"] = app_source("blog", *hooks_lines("blog"))
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))
    fw.plugin_manager.register(Plugin(rec, "direct"), name="direct")
    rec.calls.clear()

    fw.startup()
    fw.shutdown()

    starts = [call.split()[1] for call in rec.calls if call.startswith("start ")]
    stops = [call.split()[1] for call in rec.calls if call.startswith("stop ")]
    assert sorted(starts) == ["blog", "direct"]
    assert stops == starts[::-1]
    assert rec.calls[-1] == "blog.models.teardown"


def test_sync_startup_refuses_an_async_spoc_startup_in_a_schema_module_and_undoes_what_it_did(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = module_source("blog.models", *hooks_lines("blog.models", prefix="async "))
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(AsyncHookError) as info:
        fw.startup()

    assert "spoc_startup of module plugin 'apps.blog.models'" in str(info.value)
    assert location(root.resolve() / "apps/blog/models.py", "@spoc.hookimpl") in str(info.value)
    assert "astartup()" in str(info.value)
    assert "start blog.models" not in rec.calls
    assert rec.calls[-1] == "blog.models.teardown"
    assert not fw.plugin_manager.has_plugin("apps.blog.models")
    assert not fw.started


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


# -- strict and loose -----------------------------------------------------


def test_a_missing_module_in_strict_mode_names_the_app_the_module_and_the_expected_path(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/users/views.py"] = module_source("users.views")
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, SCHEMA)

    with pytest.raises(ModuleMissingError) as info:
        fw.startup()

    expected = root.resolve() / "apps/blog/views.py"
    assert (info.value.app, info.value.module, info.value.path) == ("blog", "views", expected)
    assert f"app 'blog' has no 'views' module: expected {expected}" in str(info.value)
    assert "strict=False" in str(info.value)
    assert rec.calls[-2:] == ["users.models.teardown", "blog.models.teardown"]
    assert not fw.started


@pytest.mark.parametrize("options", [{"strict": False}, {"mode": "loose"}], ids=["strict=False", "mode=loose"])
def test_loose_mode_skips_a_missing_module_and_logs_it(
    make_project: ProjectFactory, rec: Recorder, caplog: pytest.LogCaptureFixture, options: dict[str, Any]
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/users/views.py"] = module_source("users.views")
    root = make_project(files, apps=["blog", "users"])
    caplog.set_level(logging.INFO, logger="spoc")

    fw = Framework(root, SCHEMA, **options).startup()

    assert list(fw.modules) == ["blog.models", "users.models", "users.views"]
    assert "skipping blog.views" in caplog.text
    assert str(root.resolve() / "apps/blog/views.py") in caplog.text
    fw.shutdown()


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "loose"])
def test_a_missing_app_is_an_error_with_a_did_you_mean_in_both_modes(
    make_project: ProjectFactory, rec: Recorder, strict: bool
) -> None:
    root = make_project(project_files(["blog"], ["models"]), toml=toml(["blgo"]))

    with pytest.raises(AppNotFoundError) as info:
        Framework(root, Schema(modules=["models"]), strict=strict)

    message = str(info.value)
    assert "app 'blgo' not found" in message
    assert str(root.resolve() / "apps/blgo") in message
    assert "(did you mean 'blog'?)" in message
    assert "Create the folder" in message
    assert info.value.app == "blgo"
    assert rec.calls == []


def test_an_import_error_inside_an_app_module_is_an_app_import_error_not_a_missing_app(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines("import spoc_test_package_that_is_not_installed")
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(AppImportError) as info:
        fw.startup()

    message = str(info.value)
    assert "importing 'apps.blog.models' of app 'blog'" in message
    assert str(root.resolve() / "apps/blog/models.py") in message
    assert "spoc_test_package_that_is_not_installed" in message
    assert "not found" not in message.lower()
    assert "pip install spoc_test_package_that_is_not_installed" in message
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    assert (info.value.app, info.value.module) == ("blog", "apps.blog.models")
    assert not fw.started


def test_an_import_error_inside_an_app_package_is_reported_while_constructing(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    root = make_project({"apps/blog/__init__.py": "from apps.blog import helpers_that_do_not_exist\n"}, apps=[])
    write_files(root, {"config/spoc.toml": toml(["blog"])})

    with pytest.raises(AppImportError) as info:
        Framework(root)

    assert "importing 'apps.blog' of app 'blog'" in str(info.value)
    assert "not found" not in str(info.value).lower()
    assert isinstance(info.value.__cause__, ImportError)


# -- components -----------------------------------------------------------


def test_components_defined_in_a_module_are_collected_under_its_kind_even_without_hooks(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc",
        "",
        "components = spoc.Components('model')",
        "",
        "@spoc.component",
        "class Post:",
        "    pass",
        "",
        "@components.register('model', config={'table': 'posts'})",
        "def make_post():",
        "    return Post()",
        "",
        "class NotAComponent:",
        "    pass",
    )
    root = make_project(files, apps=["blog"])

    fw = Framework(root, Schema(modules=["models"])).startup()

    module = sys.modules["apps.blog.models"]
    assert dict(fw.components.models) == {"blog.Post": module.Post, "blog.make_post": module.make_post}
    assert fw.get_component("models", "blog.Post") is module.Post
    assert not fw.plugin_manager.has_plugin("apps.blog.models")
    fw.shutdown()


def test_components_imported_into_a_module_are_not_collected_there(make_project: ProjectFactory, rec: Recorder) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/blog/models.py"] = lines("import spoc", "@spoc.component", "class Post:", "    pass")
    files["apps/users/models.py"] = lines(
        "import spoc", "from apps.blog.models import Post", "@spoc.component", "class User:", "    pass"
    )
    root = make_project(files, apps=["blog", "users"])

    fw = Framework(root, Schema(modules=["models"])).startup()

    assert list(fw.components.models) == ["blog.Post", "users.User"]
    assert fw.get_component("models", "users.Post") is None
    fw.shutdown()


def test_get_component_returns_none_for_an_unknown_kind_or_name(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/models.py": lines("import spoc", "@spoc.component", "def f():", "    pass"),
    }
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"])).startup()

    assert fw.get_component("models", "blog.f") is not None
    assert fw.get_component("models", "blog.g") is None
    assert fw.get_component("models", "users.f") is None
    assert fw.get_component("widgets", "blog.f") is None
    fw.shutdown()


def test_components_are_forgotten_on_shutdown(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/models.py": lines("import spoc", "@spoc.component", "class P:", "    pass"),
    }
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"])).startup()

    fw.shutdown()

    assert dict(fw.components.models) == {}
    assert fw.get_component("models", "blog.P") is None


@pytest.mark.parametrize(
    "second",
    [("def Post():", "    pass"), ("class Post:", "    pass")],
    ids=["function-after-class", "class-after-class"],
)
def test_the_same_component_name_twice_in_one_kind_names_both_locations(
    make_project: ProjectFactory, rec: Recorder, second: tuple[str, str]
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc",
        "",
        "@spoc.component",
        "class Post:  # first",
        "    pass",
        "",
        "@spoc.component",
        f"{second[0]}  # second",
        second[1],
    )
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(DuplicateComponentError) as info:
        fw.startup()

    path = root.resolve() / "apps/blog/models.py"
    first_line = int(location(path, "# first").rsplit(":", 1)[1])
    second_line = int(location(path, "# second").rsplit(":", 1)[1])
    message = str(info.value)
    assert "component 'blog.Post' of kind 'models' is defined twice" in message
    # A class reports its 'class' line or its decorator's line, depending on the Python version.
    assert any(f"at {path}:{line} and" in message for line in (first_line, first_line - 1))
    assert any(f"and at {path}:{line}." in message for line in (second_line, second_line - 1))
    assert "Rename one of them" in message
    assert not fw.started


def test_a_duplicate_component_leaves_no_component_of_the_failed_module_behind(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc",
        "@spoc.component",
        "class Comment:",
        "    pass",
        "@spoc.component",
        "def Post():",
        "    pass",
        "@spoc.component",
        "def Post():  # noqa: F811",
        "    pass",
    )
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(DuplicateComponentError):
        fw.startup()

    assert dict(fw.components.models) == {}


def test_invoke_calls_the_component_through_the_spoc_invoke_middleware(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/views.py": lines(
            "import spoc",
            "@spoc.component",
            "def greet(name, punctuation='.'):",
            "    return f'hello {name}{punctuation}'",
        ),
    }
    root = make_project(files, apps=["blog"])

    class Shout:
        @spoc.hookimpl(wrapper=True)
        def spoc_invoke(
            self, component: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Generator[None, Any, Any]:
            rec.hit(f"invoke {component.__name__} {args} {kwargs}")
            result = yield
            return result.upper()

    fw = Framework(root, Schema(modules=["views"]), plugins=[Shout()]).startup()

    assert fw.invoke("views", "blog.greet", "ann", punctuation="!") == "HELLO ANN!"
    assert rec.calls == ["invoke greet ('ann',) {'punctuation': '!'}"]
    fw.shutdown()


def test_invoke_of_an_unknown_component_says_which_ones_exist(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/views.py": lines("import spoc", "@spoc.component", "def greet():", "    pass"),
    }
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["views"])).startup()

    with pytest.raises(SpocError) as info:
        fw.invoke("views", "blog.gret")

    assert "no component 'blog.gret' of kind 'views'" in str(info.value)
    assert "(did you mean 'blog.greet'?)" in str(info.value)
    assert "known: blog.greet" in str(info.value)
    fw.shutdown()


# -- hook validation and app hookspecs ------------------------------------


def test_an_app_implementing_a_misspelled_hook_gets_a_did_you_mean_and_the_functions_location(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {"apps/blog/__init__.py": app_source("blog", "@spoc.hookimpl", "def spoc_startp(framework):", "    pass")}
    root = make_project(files, apps=["blog"])

    with pytest.raises(HookValidationError) as info:
        Framework(root)

    where = location(root.resolve() / "apps/blog/__init__.py", "@spoc.hookimpl")
    message = str(info.value)
    assert "app plugin 'apps.blog'" in message
    assert "spoc_startp" in message
    assert "(did you mean 'spoc_startup'?)" in message
    assert where in message
    assert (info.value.plugin, info.value.hook, info.value.location) == ("apps.blog", "spoc_startp", where)


def test_an_implementation_taking_an_argument_the_spec_lacks_names_the_argument_and_the_spec(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        "apps/blog/__init__.py": app_source(
            "blog", "@spoc.hookimpl", "def spoc_startup(framework, request):", "    pass"
        )
    }
    root = make_project(files, apps=["blog"])

    with pytest.raises(HookValidationError) as info:
        Framework(root)

    message = str(info.value)
    assert "app plugin 'apps.blog'" in message
    assert "takes 'request', which the hook does not provide" in message
    assert "The spec is spoc_startup(framework)" in message
    assert location(root.resolve() / "apps/blog/__init__.py", "@spoc.hookimpl") in message


def test_a_misspelled_hook_in_a_schema_module_fails_startup_and_leaves_nothing_registered(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/users/models.py"] = module_source("users.models", "@spoc.hookimpl", "def spoc_shutdwn():", "    pass")
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(HookValidationError) as info:
        fw.startup()

    assert "(did you mean 'spoc_shutdown'?)" in str(info.value)
    assert location(root.resolve() / "apps/users/models.py", "@spoc.hookimpl") in str(info.value)
    assert not fw.plugin_manager.has_plugin("apps.users.models")
    assert rec.calls[-1] == "blog.models.teardown"
    assert not fw.started


@pytest.mark.parametrize("apps", [["events", "blog"], ["blog", "events"]], ids=["provider-first", "provider-last"])
def test_an_app_can_add_hookspecs_that_another_app_implements(
    make_project: ProjectFactory, rec: Recorder, apps: list[str]
) -> None:
    files = {
        "apps/events/__init__.py": lines(
            "import spoc",
            "",
            "class Specs:",
            "    @spoc.hookspec",
            "    def blog_post_published(self, title):",
            "        '''Called when a post is published.'''",
            "",
            "@spoc.hookimpl",
            "def spoc_add_hookspecs(plugin_manager):",
            "    plugin_manager.add_hookspecs(Specs)",
        ),
        "apps/blog/__init__.py": app_source(
            "blog", "@spoc.hookimpl", "def blog_post_published(title):", "    rec.hit(f'published {title}')"
        ),
    }
    root = make_project(files, apps=apps)

    fw = Framework(root)
    fw.hook.blog_post_published(title="Hello")

    assert rec.calls[-1] == "published Hello"
