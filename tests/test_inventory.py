"""The plugin inventory: what a Framework registers, without its settings sections or startup machinery."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc.errors import PluginLoadError, SpocError, SpocWarning
from spoc.framework import Framework
from spoc.hookspecs import LIFECYCLE_HOOKS
from spoc.plugins.host import PluginRecord
from spoc.plugins.inventory import plugin_inventory

# Every kind of plugin a project can have, with lifecycle markers that reorder them.
AUDIT = """
    import spoc

    @spoc.hookimpl(trylast=True)
    def spoc_startup(framework):
        pass

    @spoc.hookimpl
    def spoc_shutdown(framework):
        pass
"""
FIRST = """
    import spoc

    @spoc.hookimpl(tryfirst=True)
    def spoc_startup(framework):
        pass

    @spoc.hookimpl
    def spoc_register_components(framework):
        pass
"""
STOP_ONLY = """
    import spoc

    @spoc.hookimpl(tryfirst=True)
    def spoc_shutdown(framework):
        pass
"""
# Declares a settings section; the model's module records that the hook ran.
SECTIONED = """
    import spoc

    @spoc.hookimpl
    def spoc_load_settings(framework):
        import spoc_test_sectioned_settings

        return {"sectioned": spoc_test_sectioned_settings.Settings}

    @spoc.hookimpl
    def spoc_startup(framework):
        pass
"""
SECTIONED_SETTINGS = """
    from pydantic import BaseModel

    class Settings(BaseModel):
        enabled: bool = True
"""
TOML = """
    [spoc]
    mode = "production"

    [spoc.apps]
    production = ["audit", "first", "plain"]

    [spoc.plugins]
    middleware = ["spoc_test_stop_only"]
"""


@pytest.fixture
def project(make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = write_files(
        tmp_path / "site",
        {
            "spoc_test_stop_only.py": STOP_ONLY,
            "spoc_test_sectioned.py": SECTIONED,
            "spoc_test_sectioned_settings.py": SECTIONED_SETTINGS,
            "spoc_test_broken.py": "raise ImportError('the plugin is broken')\n",
            "spoc_inventory-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-inventory\nVersion: 1.0\n",
            "spoc_inventory-1.0.dist-info/entry_points.txt": (
                "[spoc.plugins]\n"
                "sectioned = spoc_test_sectioned\n"
                "broken = spoc_test_broken\n"
                "blocked = spoc_test_blocked\n"
            ),
        },
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "sectioned,broken")  # not the installed first-party plugins
    return make_project(
        {"apps/audit/__init__.py": AUDIT, "apps/first/__init__.py": FIRST, "apps/plain/__init__.py": ""}, toml=TOML
    )


def _rows(records: list[PluginRecord]) -> list[tuple[object, ...]]:
    return [(r.name, r.source, r.distribution, r.version, r.status, r.hooks, r.error) for r in records]


def test_the_inventory_registers_what_a_framework_registers_in_the_same_order(project: Path) -> None:
    warn = {"plugin_errors": "warn"}
    with pytest.warns(SpocWarning, match="broken"):
        inventory = plugin_inventory(project, settings=warn)
    with pytest.warns(SpocWarning, match="broken"):
        framework = Framework(project, settings=warn)

    assert _rows(inventory.plugin_records) == _rows(framework.plugin_records)
    ours = [(r.name, r.status) for r in inventory.plugin_records if r.distribution in (None, "spoc-inventory")]
    assert ours == [
        ("spoc.builtins", "active"),
        ("sectioned", "active"),
        ("spoc_test_stop_only", "active"),
        ("apps.audit", "active"),
        ("apps.first", "active"),
        # Not loaded, in discovery order: by name within one sys.path folder.
        ("blocked", "blocked"),
        ("broken", "failed"),
    ]
    assert inventory.plugins.keys() == framework.plugins.keys() == {"middleware"}


def test_the_inventory_orders_lifecycle_hooks_as_the_framework_calls_them(project: Path) -> None:
    inventory = plugin_inventory(project, disable_plugins=["broken"])
    framework = Framework(project, disable_plugins=["broken"])

    for hook in LIFECYCLE_HOOKS:
        assert [i.plugin_name for i in inventory.lifecycle_call_order(hook)] == [
            i.plugin_name for i in framework.lifecycle_call_order(hook)
        ], hook
    assert [i.plugin_name for i in inventory.lifecycle_call_order("spoc_startup")] == [
        "apps.first",
        "sectioned",
        "apps.audit",
    ]


def test_the_inventory_reads_no_settings_section(project: Path) -> None:
    inventory = plugin_inventory(project, disable_plugins=["broken"])

    assert "spoc_test_sectioned_settings" not in sys.modules  # spoc_load_settings was not called
    sectioned = next(record for record in inventory.plugin_records if record.name == "sectioned")
    assert sectioned.hooks == ["spoc_load_settings", "spoc_startup"]


def test_a_broken_installed_plugin_stops_the_inventory_as_it_stops_a_framework(project: Path) -> None:
    with pytest.raises(PluginLoadError, match="broken"):
        plugin_inventory(project)


def test_only_lifecycle_hooks_have_a_lifecycle_order(project: Path) -> None:
    inventory = plugin_inventory(project, disable_plugins=["broken"])

    with pytest.raises(SpocError, match="'spoc_invoke' is not a lifecycle hook"):
        inventory.lifecycle_call_order("spoc_invoke")
