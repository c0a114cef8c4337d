"""The order of a start: modules by kind then app, lifecycle hooks first registered first; shutdown mirrors it."""

from __future__ import annotations

import sys
import types
from collections.abc import Generator
from typing import Any

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import (
    AsyncHookError,
)
from spoc.framework import Framework, Schema

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - depends on the interpreter
    pass

from framework_support import (
    Plugin,
    Recorder,
    app_source,
    hooks_lines,
    lines,
    location,
    module_source,
    project_files,
    recording_schema,
    toml,
)

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
