"""Register a project's plugins with pluggy, in order, and check their hook names.

Default order: SPOC's built-ins, ``spoc.plugins`` entry points, configured
plugin groups, ``Framework(plugins=...)``, app packages; then the plugins'
``spoc_requires``/``spoc_before``/``spoc_after`` reorder it. Entry points are
loaded first (:func:`load_installed_plugins`), before the project's folder goes
on ``sys.path``; the loader imports the app packages; then
:func:`register_plugins` registers everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from spoc.errors import SpocError
from spoc.loader import APPS_PACKAGE, AppPackage
from spoc.plugins import builtins
from spoc.plugins.discovery import (
    PluginSelection,
    load_configured_plugins,
    load_entry_point_plugins,
    load_named_plugins,
    plugin_failed,
)
from spoc.plugins.host import PluginHost, PluginRecord
from spoc.plugins.ordering import order_plugins

if TYPE_CHECKING:
    from spoc.settings.project import Project

__all__ = ["check_hook_names", "load_installed_plugins", "register_plugins"]


def load_installed_plugins(
    host: PluginHost, project: Project, *, disable_plugins: Sequence[str], plugins: Sequence[Any]
) -> list[PluginRecord]:
    """Return SPOC's built-ins and the selected ``spoc.plugins`` entry points, loaded (not yet registered).

    Args:
        host: where blocked and failed plugins are recorded.
        project: its ``disable_plugins`` and ``plugin_errors``.
        disable_plugins: more entry-point names to block (``-p no:NAME``).
        plugins: ``Framework(plugins=...)``; its names load entry points even when autoload is off.
    """
    names = [plugin for plugin in plugins if isinstance(plugin, str)]
    selection = PluginSelection.from_environment([*project.disable_plugins, *disable_plugins], names)
    records = [PluginRecord("spoc.builtins", "builtin", builtins)]
    return records + load_entry_point_plugins(host, selection, project.plugin_errors)


def register_plugins(
    host: PluginHost,
    project: Project,
    installed: list[PluginRecord],
    apps: Sequence[AppPackage],
    *,
    plugins: Sequence[Any],
) -> dict[str, dict[str, Any]]:
    """Load the configured plugins, order every plugin, register them; return the groups ``{group: {uri: object}}``.

    Args:
        host: the framework's plugin host.
        project: its configured plugin groups and ``plugin_errors``.
        installed: the built-ins and entry points, from :func:`load_installed_plugins`.
        apps: the imported app packages, in load order; their hookspecs are added first.
        plugins: ``Framework(plugins=...)``: objects, entry-point names or dotted paths.
    """
    names = [plugin for plugin in plugins if isinstance(plugin, str)]
    groups, configured = load_configured_plugins(host, project.plugin_groups)
    records = [*installed, *configured]
    records += load_named_plugins(names, {record.name for record in records} | set(host.unloaded))
    objects = [plugin for plugin in plugins if not isinstance(plugin, str)]
    records += [
        PluginRecord(getattr(plugin, "__name__", None) or f"plugin-{index}", "configured", plugin)
        for index, plugin in enumerate(objects)
    ]
    for app in apps:
        if app.hookspecs is not None:
            host.manager.add_hookspecs(app.hookspecs)
        if host.holds_hookimpls(app.package):
            records.append(PluginRecord(f"{APPS_PACKAGE}.{app.app}", "app", app.package))
    for record in order_plugins(records, host.unloaded):
        try:
            host.register_record(record)
        except SpocError as exc:
            if record.source != "entrypoint":
                raise
            plugin_failed(host, record, exc, project.plugin_errors)
    check_hook_names(host, project.plugin_errors)
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
