"""Plugin load order: spoc_requires, spoc_before and spoc_after."""

from __future__ import annotations

import itertools
import types
from typing import Any

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import PluginOrderError
from spoc.framework import Framework
from spoc.plugins.host import PluginRecord
from spoc.plugins.ordering import order_plugins


def plugin(name: str, **declared: Any) -> PluginRecord:
    module = types.ModuleType(name)
    for attribute, value in declared.items():
        setattr(module, f"spoc_{attribute}", value)
    return PluginRecord(name, "configured", module)


def names(records: list[PluginRecord]) -> list[str]:
    return [record.name for record in records]


def test_without_declarations_the_default_order_is_kept() -> None:
    records = [plugin("a"), plugin("b"), plugin("c")]

    assert names(order_plugins(records, {})) == ["a", "b", "c"]


def test_after_and_requires_load_the_named_plugin_first() -> None:
    records = [plugin("audit", after=["auth"]), plugin("shop", requires=["db"]), plugin("auth"), plugin("db")]

    assert names(order_plugins(records, {})) == ["auth", "audit", "db", "shop"]


def test_before_loads_the_declaring_plugin_first() -> None:
    records = [plugin("metrics"), plugin("tracing", before=["metrics"])]

    assert names(order_plugins(records, {})) == ["tracing", "metrics"]


def test_before_and_after_a_plugin_that_is_not_loaded_are_ignored() -> None:
    records = [plugin("a", before=["ghost"], after=["phantom"]), plugin("b")]

    assert names(order_plugins(records, {})) == ["a", "b"]


def test_a_missing_requirement_names_both_plugins_and_a_did_you_mean() -> None:
    records = [plugin("shop", requires=["payment"]), plugin("payments")]

    with pytest.raises(PluginOrderError) as caught:
        order_plugins(records, {})

    message = str(caught.value)
    assert "configured plugin 'shop' requires plugin 'payment'" in message
    assert "(did you mean 'payments'?)" in message
    assert "remove 'payment' from spoc_requires" in message
    assert (caught.value.plugin, caught.value.chain) == ("shop", ["shop", "payment"])


def test_requiring_a_blocked_plugin_says_it_is_blocked_and_how_to_unblock() -> None:
    blocked = PluginRecord("payments", "entrypoint", None, status="blocked")

    with pytest.raises(PluginOrderError, match=r"requires plugin 'payments', but it is blocked .*-p no:payments"):
        order_plugins([plugin("shop", requires=["payments"])], {"payments": blocked})


def test_requiring_a_failed_plugin_gives_its_error() -> None:
    failed = PluginRecord("payments", "entrypoint", None, status="failed", error="ImportError: no stripe")

    with pytest.raises(PluginOrderError, match=r"it failed to load \(ImportError: no stripe\)"):
        order_plugins([plugin("shop", requires=["payments"])], {"payments": failed})


def test_a_cycle_of_constraints_is_an_error_naming_the_chain() -> None:
    records = [plugin("a", after=["b"]), plugin("b", after=["c"]), plugin("c", after=["a"])]

    with pytest.raises(PluginOrderError) as caught:
        order_plugins(records, {})

    chain = caught.value.chain
    assert chain[0] == chain[-1] and set(chain) == {"a", "b", "c"}
    assert f"form a cycle: {' -> '.join(chain)} (each loads before the next)" in str(caught.value)
    # Each name in the chain really loads before the next one.
    wants_first = {"a": "b", "b": "c", "c": "a"}
    assert all(wants_first[later] == earlier for earlier, later in itertools.pairwise(chain))


def test_a_declaration_that_is_not_a_list_of_names_is_an_error() -> None:
    with pytest.raises(PluginOrderError, match=r"spoc_requires = 'auth' must be a list of plugin names"):
        order_plugins([plugin("shop", requires="auth"), plugin("auth")], {})


def test_declarations_order_lifecycle_and_wrappers_in_a_real_framework(make_project: ProjectFactory) -> None:
    calls: list[str] = []

    class Auth:
        @spoc.hookimpl
        def spoc_startup(self) -> None:
            calls.append("start auth")

        @spoc.hookimpl
        def spoc_shutdown(self) -> None:
            calls.append("stop auth")

    class Audit:
        spoc_requires = ["auth"]

        @spoc.hookimpl
        def spoc_startup(self) -> None:
            calls.append("start audit")

        @spoc.hookimpl
        def spoc_shutdown(self) -> None:
            calls.append("stop audit")

    audit, auth = Audit(), Auth()
    audit.__name__ = "audit"  # type: ignore[attr-defined]
    auth.__name__ = "auth"  # type: ignore[attr-defined]
    project = make_project(apps=[])

    with Framework(project, plugins=[audit, auth]) as fw:
        order = [record.name for record in fw.plugin_records]
        assert order.index("auth") < order.index("audit")

    assert calls == ["start auth", "start audit", "stop audit", "stop auth"]


def test_an_app_can_declare_that_it_loads_after_another_app(make_project: ProjectFactory) -> None:
    project = make_project(
        {
            "apps/blog/__init__.py": """
                import spoc
                spoc_after = ["apps.users"]

                @spoc.hookimpl
                def spoc_startup(framework):
                    pass
            """,
            "apps/users/__init__.py": """
                import spoc

                @spoc.hookimpl
                def spoc_startup(framework):
                    pass
            """,
        },
        toml='[spoc]\nmode = "production"\n[spoc.apps]\nproduction = ["blog", "users"]\n',
    )

    fw = Framework(project)

    started = [impl.plugin_name for impl in fw.lifecycle_call_order("spoc_startup")]
    assert [name for name in started if name.startswith("apps.")] == ["apps.users", "apps.blog"]
