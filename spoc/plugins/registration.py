"""Load every plugin a project has, order them, and register them with pluggy.

Default order: SPOC's built-ins, ``spoc.plugins`` entry points, configured
plugin groups, ``Framework(plugins=...)``, app packages; then the plugins'
``spoc_requires``/``spoc_before``/``spoc_after`` reorder it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spoc.errors import SpocError
from spoc.loader import APPS_PACKAGE, AppLoader
from spoc.plugins import builtins
from spoc.plugins.discovery import (
    PluginSelection,
    configured_plugin_groups,
    load_configured_plugins,
    load_entry_point_plugins,
    load_named_plugins,
    plugin_failed,
)
from spoc.plugins.host import PluginHost, PluginRecord
from spoc.plugins.ordering import order_plugins
from spoc.settings.project import ProjectConfig

__all__ = ["check_hook_names", "register_plugins"]


def register_plugins(
    host: PluginHost,
    config: ProjectConfig,
    loader: AppLoader,
    apps: Sequence[str],
    *,
    disable_plugins: Sequence[str],
    plugins: Sequence[Any],
) -> dict[str, dict[str, Any]]:
    """Load, order and register every plugin; return the configured groups ``{group: {uri: object}}``.

    Args:
        host: the framework's plugin host.
        config: the project configuration (disable_plugins, plugin_errors, plugin groups).
        loader: imports the app packages (and binds the project's ``apps`` package first).
        apps: the apps in load order.
        disable_plugins: more entry-point names to block.
        plugins: ``Framework(plugins=...)``: objects, entry-point names or dotted paths.
    """
    names = [plugin for plugin in plugins if isinstance(plugin, str)]
    blocked = [*config.table.get("disable_plugins", []), *disable_plugins]
    policy = config.table.get("plugin_errors", "raise")
    records = [PluginRecord("spoc.builtins", "builtin", builtins)]
    records += load_entry_point_plugins(host, PluginSelection.from_environment(blocked, names), policy)
    loader.bind()
    groups, configured = load_configured_plugins(
        host, configured_plugin_groups(config.table.get("plugins", {}), config.module_plugins)
    )
    records += configured
    records += load_named_plugins(names, {record.name for record in records} | set(host.unloaded))
    objects = [plugin for plugin in plugins if not isinstance(plugin, str)]
    records += [
        PluginRecord(getattr(plugin, "__name__", None) or f"plugin-{index}", "configured", plugin)
        for index, plugin in enumerate(objects)
    ]
    for app in apps:
        package = loader.import_app(app)
        specs = loader.import_hookspecs(app)
        if specs is not None:
            host.manager.add_hookspecs(specs)
        if host.holds_hookimpls(package):
            records.append(PluginRecord(f"{APPS_PACKAGE}.{app}", "app", package))
    for record in order_plugins(records, host.unloaded):
        try:
            host.register_record(record)
        except SpocError as exc:
            if record.source != "entrypoint":
                raise
            plugin_failed(host, record, exc, policy)
    check_hook_names(host, policy)
    return groups


def check_hook_names(host: PluginHost, policy: str) -> None:
    """Check every plugin's hook names, once every plugin has added its hookspecs.

    An installed plugin that fails the check is handled like one that fails to
    import: an error, or skipped with a warning under ``plugin_errors = "warn"``.
    """
    for record in list(host.records.values()):
        try:
            host.check_unknown_hooks([record.name])
        except SpocError as exc:
            if record.source != "entrypoint":
                raise
            host.unregister(record.name)
            plugin_failed(host, record, exc, policy)
