"""The plugin inventory of a project: what constructing its Framework registers, and nothing more.

``spoc plugins`` and ``spoc hooks`` show registration. A whole ``Framework``
would also call ``spoc_load_settings``, whose implementations import their
settings models (pydantic, tens of milliseconds), and the startup machinery;
neither changes what is registered. This builds the configuration and the
plugin host and registers exactly as construction does (the same
:func:`~spoc.registration.register_plugins`), so the listing cannot drift
from what a Framework would hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoc.loader import AppLoader
from spoc.plugins.host import PluginHost, PluginRecord
from spoc.plugins.registration import register_plugins
from spoc.settings.project import ProjectConfig, load_project_config

if TYPE_CHECKING:
    import pluggy

__all__ = ["PluginInventory", "plugin_inventory"]


class PluginInventory:
    """A project's registered plugins, as a constructed Framework would hold them.

    A plain class, not a dataclass: building a dataclass at import costs about
    a millisecond of every ``spoc plugins``.

    Attributes:
        base_dir: the project folder.
        config: the project's configuration.
        host: the plugin host, with every plugin registered.
        plugins: the configured plugin groups, ``{group: {uri: loaded object}}``.
    """

    __slots__ = ("base_dir", "config", "host", "plugins")

    def __init__(
        self, base_dir: Path, config: ProjectConfig, host: PluginHost, plugins: dict[str, dict[str, Any]]
    ) -> None:
        self.base_dir, self.config, self.host, self.plugins = base_dir, config, host, plugins

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
    disable_plugins: Sequence[str] = (),
    plugins: Sequence[Any] = (),
) -> PluginInventory:
    """Read a project's configuration and register its plugins as ``Framework(...)`` would, without settings.

    Built-ins, ``spoc.plugins`` entry points (loaded, so their hooks show),
    configured plugins, then app packages holding hookimpls. Neither
    ``spoc_load_settings`` nor any plugin section is read, and the Schema is
    not ordered: a listing of plugins does not need them.

    Args:
        base_dir: the project folder.
        settings: the strongest settings source, as ``Framework(settings=...)``
            (e.g. ``{"plugin_errors": "warn"}`` to list broken plugins as failed).
        disable_plugins: entry-point plugin names never to load.
        plugins: more plugins: objects, entry-point names or dotted paths.

    Raises:
        SpocError: the configuration is invalid, an app is missing or fails to
            import, or a plugin fails under ``plugin_errors = "raise"``.
    """
    base_dir = Path(base_dir).resolve()
    config = load_project_config(base_dir, settings)
    loader = AppLoader(base_dir)
    loader.check_apps(config.app_names)
    host = PluginHost()
    groups = register_plugins(host, config, loader, config.app_names, disable_plugins=disable_plugins, plugins=plugins)
    return PluginInventory(base_dir, config, host, groups)
