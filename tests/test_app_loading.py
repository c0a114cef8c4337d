"""Loading apps and their modules: missing modules in strict and loose mode, missing apps, import errors."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from conftest import ProjectFactory, write_files

from spoc.errors import (
    AppImportError,
    AppNotFoundError,
    ModuleMissingError,
)
from spoc.framework import Framework, Schema

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - depends on the interpreter
    pass

from framework_support import (
    SCHEMA,
    Recorder,
    lines,
    module_source,
    project_files,
    toml,
)

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
