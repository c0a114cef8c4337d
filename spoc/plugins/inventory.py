"""The plugin inventory of a project: what constructing its Framework registers, and nothing more.

``spoc plugins`` and ``spoc hooks`` show registration. A whole ``Framework``
would also validate every setting and call ``spoc_load_settings``, whose
implementations import their settings models: pydantic, which costs more than
the rest of these commands. The inventory reads only the plugin selection
(:func:`~spoc.settings.project.read_plugin_selection`) and registers exactly as
construction does, with the same functions, so the listing cannot drift from
what a Framework would hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoc.loader import AppLoader
from spoc.plugins.host import PluginHost, PluginRecord
from spoc.plugins.registration import load_installed_plugins, register_plugins
from spoc.settings.project import Project, read_plugin_selection

if TYPE_CHECKING:
    import pluggy

__all__ = ["PluginInventory", "plugin_inventory"]


@dataclass(frozen=True)
class PluginInventory:
    """A project's registered plugins, as a constructed Framework would hold them.

    Attributes:
        project: what the configuration decided (apps, plugin selection).
        host: the plugin host, with every plugin registered.
        plugins: the configured plugin groups, ``{group: {uri: loaded object}}``.
    """

    project: Project
    host: PluginHost
    plugins: dict[str, dict[str, Any]]

    @property
    def hook(self) -> pluggy.HookRelay:
        """The pluggy hook relay, as ``Framework.hook``."""
        return self.host.hook

    @property
    def plugin_records(self) -> list[PluginRecord]:
        """Every plugin: registered ones in registration order, then blocked or failed ones."""
        return self.host.all_records()

    def lifecycle_call_order(self, hook_name: str) -> list[pluggy.HookImpl]:
        """Return a lifecycle hook's implementations in the order SPOC calls them, as ``Framework`` does."""
        return self.host.lifecycle_call_order(hook_name)


def plugin_inventory(
    base_dir: str | Path,
    *,
    settings: Mapping[str, Any] | None = None,
    label: str = "Framework(settings=...)",
    disable_plugins: Sequence[str] = (),
    plugins: Sequence[Any] = (),
) -> PluginInventory:
    """Read a project's plugin selection and register its plugins as ``Framework(...)`` would.

    Built-ins, ``spoc.plugins`` entry points (loaded, so their hooks show),
    configured plugins, then app packages holding hookimpls. Neither
    ``spoc_load_settings`` nor any plugin section is read, and the Schema is
    not ordered: a listing of plugins does not need them.

    Args:
        base_dir: the project folder.
        settings: the strongest settings source, as ``Framework(settings=...)``
            (e.g. ``{"plugin_errors": "warn"}`` to list broken plugins as failed).
        label: how ``settings`` is named in messages (``--mode`` from the CLI).
        disable_plugins: entry-point plugin names never to load.
        plugins: more plugins: objects, entry-point names or dotted paths.

    Raises:
        SpocError: the configuration is invalid, an app is missing or fails to
            import, or a plugin fails under ``plugin_errors = "raise"``.
    """
    project = read_plugin_selection(Path(base_dir).resolve(), settings, label=label)
    loader = AppLoader(project.base_dir)
    loader.check_apps(project.apps)
    host = PluginHost()
    installed = load_installed_plugins(host, project, disable_plugins=disable_plugins, plugins=plugins)
    apps = loader.import_apps(project.app_names)
    groups = register_plugins(host, project, installed, apps, plugins=plugins)
    return PluginInventory(project, host, groups)
