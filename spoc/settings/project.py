"""What a project's configuration decides before anything is imported: the mode, the apps, the Schema, the plugins.

A ``Framework`` takes it from its validated settings (:meth:`Project.from_settings`).
The inspection commands that show only registration (``plugins``, ``hooks``)
read it with :func:`read_plugin_selection`, which needs no pydantic: it reads the
same sources and picks the apps with the same functions, and hands over to the
full validation whenever a value is not plain, so both always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from spoc.settings.modes import ListedApp, known_modes, select_apps
from spoc.settings.sources import ProjectSources

if TYPE_CHECKING:
    from spoc.settings.model import Settings

__all__ = ["Project", "read_plugin_selection"]

# The keys that choose apps and plugins: what the quick read must read exactly.
_SELECTION_KEYS: Final = ("mode", "apps", "modes", "plugins", "disable_plugins", "plugin_errors")


@dataclass(frozen=True)
class Project:
    """The decisions of a project's configuration that construction acts on.

    Attributes:
        base_dir: the project folder.
        mode: the selected mode; ``cascade`` its modes, strongest first.
        apps: the apps to load, in load order, each with where it is listed.
        schema: ``[spoc.schema]``: ``{"modules": [...], "dependencies": {...}}``.
        plugin_groups: ``[spoc.plugins]`` and the settings module's ``PLUGINS``, merged.
        disable_plugins: entry-point plugins never to load.
        plugin_errors: ``raise`` or ``warn``: what a broken installed plugin does.
        sources: what was read, for origins in messages.
    """

    base_dir: Path
    mode: str
    cascade: list[str]
    apps: list[ListedApp]
    schema: dict[str, Any]
    plugin_groups: dict[str, list[str]]
    disable_plugins: list[str]
    plugin_errors: str
    sources: ProjectSources = field(repr=False, compare=False)

    @property
    def app_names(self) -> list[str]:
        """The app names in load order."""
        return [app.name for app in self.apps]

    def schema_origin(self) -> str:
        """Say where ``[spoc.schema.dependencies]`` was declared, for a cycle error."""
        origin = self.sources.origin_of(("schema", "dependencies"))
        if origin is None:
            return "[spoc.schema.dependencies]"
        return f"[spoc.schema.dependencies] of {origin.path or origin}"

    @classmethod
    def from_settings(cls, settings: Settings, sources: ProjectSources) -> Project:
        """Take the decisions from validated settings."""
        installed = list(sources.names().get("INSTALLED_APPS", []))
        installed_origin = sources.module.origin("INSTALLED_APPS") if sources.module is not None else None
        cascade = settings.cascade
        return cls(
            base_dir=sources.base_dir,
            mode=settings.mode,
            cascade=cascade,
            apps=select_apps(installed, installed_origin, settings.apps, cascade, sources.origin_of),
            schema=settings.schema.model_dump(),
            plugin_groups=_merge_groups(settings.plugins, sources.names().get("PLUGINS", {})),
            disable_plugins=list(settings.disable_plugins),
            plugin_errors=settings.plugin_errors,
            sources=sources,
        )


def _merge_groups(*sources: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Merge plugin groups, the first source's first, without duplicates."""
    merged: dict[str, list[str]] = {}
    for source in sources:
        for group, uris in source.items():
            target = merged.setdefault(group, [])
            target.extend(uri for uri in uris if uri not in target)
    return merged


def _merged(sources: ProjectSources, key: str) -> Any:
    """Return the value in force of a top-level key: tables merged across sources, the strongest on top."""
    found: list[Any] = [source.table[key] for source in sources.tables() if key in source.table]
    if not found or not all(isinstance(value, dict) for value in found):
        return found[0] if found else None
    merged: dict[str, Any] = {}
    for value in reversed(found):
        merged.update(value)
    return merged


def _plain(value: Any, shape: str) -> bool:
    def names(items: Any) -> bool:
        return isinstance(items, (list, tuple)) and all(isinstance(item, str) for item in items)

    if shape == "names":
        return names(value)
    if shape == "table":
        return isinstance(value, dict) and all(isinstance(key, str) and names(item) for key, item in value.items())
    return isinstance(value, str)


_SHAPES: Final = {"mode": "str", "apps": "table", "modes": "table", "plugins": "table", "disable_plugins": "names"}


def read_plugin_selection(
    base_dir: Path, overrides: Mapping[str, Any] | None = None, *, label: str = "Framework(settings=...)"
) -> Project:
    """Read what chooses a project's apps and plugins, importing pydantic only when a value needs it.

    A value from a variable (JSON, nested names), a value that is not plain, or
    a mode no cascade declares: then the settings are validated in full, which
    reads them exactly as a ``Framework`` does, or raises the error it would.

    Raises:
        ConfigError: what ``Framework(base_dir)`` would raise for these keys.
    """
    sources = ProjectSources.read(base_dir, overrides, label=label)
    quick = _quick(sources)
    if quick is not None:
        return quick
    from spoc.settings.loading import load_settings

    return Project.from_settings(load_settings(sources), sources)


def _quick(sources: ProjectSources) -> Project | None:
    if sources.problems:
        return None
    variables = [*sources.environment().table, *sources.dotenv_variables().table]
    if any(key in _SELECTION_KEYS and key != "mode" for key in variables):
        return None  # pydantic-settings reads variables (JSON, nesting): let it
    values = {key: _merged(sources, key) for key in _SHAPES}
    names = sources.names()
    plugin_errors = _merged(sources, "plugin_errors")
    installed = names.get("INSTALLED_APPS", [])
    if (
        any(value is not None and not _plain(value, _SHAPES[key]) for key, value in values.items())
        or plugin_errors not in (None, "raise", "warn")
        or not _plain(installed, "names")
        or not _plain(names.get("PLUGINS", {}), "table")
    ):
        return None
    modes = known_modes(values["modes"] or {})
    mode = values["mode"] or "development"
    if mode not in modes or any(listed not in modes for listed in values["apps"] or {}):
        return None
    schema = _merged(sources, "schema")
    installed_origin = sources.module.origin("INSTALLED_APPS") if sources.module is not None else None
    return Project(
        base_dir=sources.base_dir,
        mode=mode,
        cascade=modes[mode],
        apps=select_apps(list(installed), installed_origin, values["apps"] or {}, modes[mode], sources.origin_of),
        schema=schema if isinstance(schema, dict) else {},
        plugin_groups=_merge_groups(values["plugins"] or {}, names.get("PLUGINS", {})),
        disable_plugins=list(values["disable_plugins"] or []),
        plugin_errors=plugin_errors or "raise",
        sources=sources,
    )
