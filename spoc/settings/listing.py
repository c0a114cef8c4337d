"""List every value of ``fw.settings`` with where it came from, secrets masked.

For ``spoc settings`` and the debug log only, so a module of its own: a start
does not pay for the row class (a dataclass costs ~1 ms at import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spoc.settings.layers import Origin, Path_, flatten
from spoc.settings.model import SpocSettings
from spoc.settings.project import ProjectConfig
from spoc.settings.secrets import MASK, is_secret_name, is_secret_value
from spoc.settings.sources import python_line

__all__ = ["SettingRow", "setting_rows"]


@dataclass(frozen=True)
class SettingRow:
    """One value of the settings, as SPOC shows it.

    Attributes:
        key: ``spoc.debug``, ``spoc.timing.threshold_ms``, ``env.DATABASE_URL`` or ``DATABASE``.
        value: the value as JSON would have it; :data:`spoc.secrets.MASK` for a secret.
        source: ``argument``, ``environment``, ``dotenv``, ``mode_file``, ``toml``,
            ``settings_module`` or ``default``.
        location: the file and line (relative to the project) or the variable; empty for a default.
        secret: whether the value is masked.
    """

    key: str
    value: Any
    source: str
    location: str
    secret: bool


def _jsonable(value: Any) -> Any:
    import json

    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def _raw(table: Mapping[str, Any], path: Path_) -> Any:
    node: Any = table
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _origin(config: ProjectConfig, path: Path_) -> Origin | None:
    """The origin of a validated value: its own, or that of the whole table a variable gave as JSON."""
    for length in range(len(path), 0, -1):
        origin = config.origins.get(path[:length])
        if origin is not None and (length == len(path) or _raw(config.table, path[:length]) != {}):
            return origin
    return None


def _row(key: str, path: Path_, value: Any, origin: Origin | None, config: ProjectConfig) -> SettingRow:
    secret = is_secret_name(path) or is_secret_value(value) or value == MASK
    return SettingRow(
        key,
        MASK if secret else _jsonable(value),
        origin.source if origin else "default",
        origin.location(config.base_dir) if origin else "",
        secret,
    )


def setting_rows(settings: SpocSettings, config: ProjectConfig) -> list[SettingRow]:
    """Return every value of ``settings`` with where it came from; secrets are masked."""
    rows: list[SettingRow] = []
    core = settings.as_dict()
    sections = {name: section.model_dump(mode="json") for name, section in settings.sections.items()}
    for path, value in flatten({**core, **sections}).items():
        rows.append(_row("spoc." + ".".join(path), path, value, _origin(config, path), config))
    for path, value in flatten(settings.env).items():
        rows.append(_row("env." + ".".join(path), path, value, config.env_origins.get(path[0]), config))
    for name, value in config.module_settings.items():
        path_ = config.settings_path
        origin = Origin("settings_module", path_, python_line(path_, name), name) if path_ else None
        rows.append(_row(name, (name,), value, origin, config))
    return rows
