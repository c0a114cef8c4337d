"""The settings object of a framework: core configuration plus plugin sections.

Plugins and apps contribute typed sections through ``spoc_load_settings``;
each is validated by the pydantic model the plugin supplies, so SPOC itself
never imports pydantic for a project that has no sections.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from spoc.config import ProjectConfig
from spoc.errors import ConfigError, SpocWarning, did_you_mean

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.plugins import PluginHost

__all__ = ["Settings", "load_sections"]


class Settings:
    """The validated settings of one framework.

    Core values are attributes (``mode``, ``debug``, ``apps``...); the settings
    module's UPPERCASE names are attributes too (``settings.DATABASE``); a
    plugin's section is ``settings.section("timing")``.
    """

    def __init__(self, config: ProjectConfig, sections: Mapping[str, Any] | None = None) -> None:
        table = config.table
        self.mode: str = config.mode
        self.cascade: list[str] = list(config.cascade)
        self.debug: bool = bool(table.get("debug", False))
        self.apps: dict[str, list[str]] = {mode: list(apps) for mode, apps in table.get("apps", {}).items()}
        self.modes: dict[str, list[str]] = {mode: list(c) for mode, c in table.get("modes", {}).items()}
        self.schema: dict[str, Any] = dict(table.get("schema", {}))
        self.plugins: dict[str, list[str]] = {g: list(u) for g, u in table.get("plugins", {}).items()}
        self.disable_plugins: list[str] = list(table.get("disable_plugins", []))
        self.plugin_errors: str = str(table.get("plugin_errors", "raise"))
        self.installed_apps: list[str] = list(config.app_names)
        self._module_settings = dict(config.module_settings)
        self._sections = dict(sections or {})

    def section(self, name: str) -> Any:
        """Return the validated section a plugin declared, e.g. ``section("timing")``."""
        try:
            return self._sections[name]
        except KeyError:
            raise KeyError(
                f"no settings section {name!r}{did_you_mean(name, self._sections)}; "
                f"sections: {', '.join(self._sections) or 'none'}. A plugin declares one "
                "by returning it from spoc_load_settings."
            ) from None

    @property
    def sections(self) -> dict[str, Any]:
        """Every plugin section, by name."""
        return dict(self._sections)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._module_settings[name]
        except KeyError:
            raise AttributeError(
                f"no setting {name!r}{did_you_mean(name, self._module_settings)}; the settings "
                "module's UPPERCASE names and the core settings are attributes"
            ) from None

    def __repr__(self) -> str:
        return f"Settings(mode={self.mode!r}, apps={self.installed_apps!r})"


def load_sections(host: PluginHost, framework: Framework, config: ProjectConfig) -> dict[str, Any]:
    """Ask every plugin for its settings sections and validate them.

    Raises:
        ConfigError: two plugins claim one section, or a section's values are invalid.
    """
    owners: dict[str, str] = {}
    models: dict[str, Any] = {}
    for impl in host.ordered_impls("spoc_load_settings"):
        declared = host.call_one("spoc_load_settings", impl, framework=framework) or {}
        for name, model in declared.items():
            if name in owners:
                raise ConfigError(
                    f"settings section [spoc.{name}] is claimed by both {owners[name]} and "
                    f"{host.describe_impl(impl)}. Disable one of the plugins or rename a section.",
                    key=f"spoc.{name}",
                )
            owners[name] = host.describe_impl(impl)
            models[name] = model
    sections: dict[str, Any] = {}
    for name, model in models.items():
        values = config.sections.get(name, {})
        try:
            sections[name] = model.model_validate(values)
        except Exception as exc:  # pydantic.ValidationError, without importing pydantic here
            raise ConfigError(
                f"[spoc.{name}] is invalid: {exc}", path=config.file_of(name), key=f"spoc.{name}"
            ) from exc
    for name in config.sections:
        if name not in models:
            warnings.warn(
                f"[spoc.{name}] in {config.file_of(name)} is not claimed by any loaded plugin or app and is ignored"
                f"{did_you_mean(name, models)}; is its plugin installed and not blocked?",
                SpocWarning,
                stacklevel=3,
            )
    return sections
