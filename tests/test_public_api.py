"""The public API: what ``import spoc`` offers, and what it costs."""

from __future__ import annotations
import __future__

import json
import types
import typing

import pluggy
import pytest
from conftest import run_python

import spoc
import spoc.components
import spoc.errors
import spoc.markers
import spoc.schema

HEAVY_MODULES = ("pydantic", "pydantic_settings", "tomllib", "tomli", "argparse", "importlib.metadata")


def test_all_is_sorted() -> None:
    assert spoc.__all__ == sorted(spoc.__all__)


def test_every_name_in_all_resolves() -> None:
    for name in spoc.__all__:
        assert getattr(spoc, name) is not None, name


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {
        name
        for name, value in vars(spoc).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and value is not __future__.annotations
    }

    assert public <= set(spoc.__all__)


def test_the_documented_names_are_exported() -> None:
    documented = {"Framework", "Schema", "Hook", "Components", "component", "hookimpl", "hookspec", "SpocError"}

    assert documented <= set(spoc.__all__)


def test_the_seed_import_path_still_works() -> None:
    from spoc.framework import Framework, Schema

    assert Framework is spoc.Framework
    assert Schema is spoc.Schema is spoc.schema.Schema


def test_the_component_api_is_re_exported() -> None:
    assert spoc.Components is spoc.components.Components
    assert spoc.component is spoc.components.component
    assert spoc.SpocError is spoc.errors.SpocError


def test_hook_is_a_typed_dict_of_startup_and_shutdown() -> None:
    assert typing.is_typeddict(spoc.Hook)
    assert spoc.Hook.__required_keys__ | spoc.Hook.__optional_keys__ == {"startup", "shutdown"}


def test_the_hook_markers_are_pluggy_markers_for_the_spoc_project() -> None:
    assert isinstance(spoc.hookimpl, pluggy.HookimplMarker)
    assert isinstance(spoc.hookspec, pluggy.HookspecMarker)
    assert spoc.hookimpl.project_name == spoc.hookspec.project_name == "spoc"
    assert spoc.hookimpl is spoc.markers.hookimpl


def test_hookimpl_marks_a_function_for_the_spoc_project() -> None:
    @spoc.hookimpl(tryfirst=True)
    def spoc_startup() -> None:
        pass

    manager = pluggy.PluginManager("spoc")
    options = manager.parse_hookimpl_opts(types.SimpleNamespace(spoc_startup=spoc_startup), "spoc_startup")
    assert options is not None
    assert options["tryfirst"] is True


def test_the_version_is_a_string() -> None:
    assert isinstance(spoc.__version__, str)
    assert spoc.__version__.count(".") >= 2


def test_importing_spoc_imports_no_heavy_module() -> None:
    script = f"""
        import json, sys
        import spoc
        print(json.dumps([name for name in {HEAVY_MODULES!r} if name in sys.modules]))
    """

    assert json.loads(run_python(script)) == []


def test_importing_spoc_loads_only_what_app_modules_need_at_import_time() -> None:
    script = """
        import sys
        import pluggy
        before = set(sys.modules)
        import spoc
        print(" ".join(sorted(set(sys.modules) - before)))
    """

    loaded = set(run_python(script).split())

    assert {name for name in loaded if name.startswith("spoc")} == {
        "spoc",
        "spoc.components",
        "spoc.errors",
        "spoc.markers",
    }
    assert not {"logging", "json", "asyncio", "threading"} & loaded


def test_lazy_public_names_resolve_to_the_real_objects() -> None:
    from spoc.framework import Framework
    from spoc.schema import Hook, Schema
    from spoc.workers.spec import worker

    assert (spoc.Framework, spoc.Schema, spoc.Hook, spoc.worker) == (Framework, Schema, Hook, worker)
    with pytest.raises(AttributeError, match="module 'spoc' has no attribute 'Framwork'"):
        spoc.Framwork
