"""List every value of ``fw.settings`` with where it came from, secrets masked: ``spoc settings`` and the debug log."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from spoc.settings.model import Settings
from spoc.settings.origins import KeyPath, Origin, flatten
from spoc.settings.secrets import MASK, is_secret_name, is_secret_value
from spoc.settings.sources import ProjectSources

__all__ = ["SettingRow", "log_settings", "setting_rows"]


@dataclass(frozen=True)
class SettingRow:
    """One value of the settings, as SPOC shows it.

    Attributes:
        key: ``spoc.debug``, ``spoc.timing.threshold_ms``, ``env.DATABASE_URL`` or ``DATABASE``.
        value: the value as JSON would have it; :data:`spoc.settings.secrets.MASK` for a secret.
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
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def _row(key: str, path: KeyPath, value: Any, origin: Origin | None, sources: ProjectSources) -> SettingRow:
    secret = is_secret_name(path) or is_secret_value(value) or value == MASK
    return SettingRow(
        key,
        MASK if secret else _jsonable(value),
        origin.source if origin else "default",
        origin.location(sources.base_dir) if origin else "",
        secret,
    )


def _secret_fields(settings: Any) -> dict[str, Any]:
    """The model's values, dumped as JSON would have them, with pydantic secrets still recognisable."""
    dumped: dict[str, Any] = settings.model_dump(mode="json")
    for name in type(settings).model_fields:
        if is_secret_value(getattr(settings, name)):
            dumped[name] = MASK
    return dumped


def setting_rows(settings: Settings, sources: ProjectSources) -> list[SettingRow]:
    """Return every value of ``settings`` with where it came from; secrets are masked."""
    rows: list[SettingRow] = []
    values = {
        **_secret_fields(settings),
        **{name: _secret_fields(section) for name, section in settings.sections.items()},
    }
    for path, value in flatten(values).items():
        rows.append(_row("spoc." + ".".join(path), path, value, sources.set_at(path), sources))
    for name, (value, origin) in sources.mode_env.items():
        for path, leaf in (flatten({name: value}) if isinstance(value, dict) and value else {(name,): value}).items():
            rows.append(_row("env." + ".".join(path), path, leaf, origin, sources))
    for name, value in sources.names().items():
        in_module = sources.module is not None and name in sources.module.names
        module = sources.module
        origin = module.origin(name) if module is not None and in_module else Origin("argument", label=sources.label)
        rows.append(_row(name, (name,), value, origin, sources))
    return rows


def log_settings(settings: Settings, sources: ProjectSources) -> None:
    """Log every setting with where it came from, secrets masked, when ``spoc.settings`` logs at DEBUG."""
    logger = logging.getLogger("spoc.settings")
    if logger.isEnabledFor(logging.DEBUG):
        for row in setting_rows(settings, sources):
            logger.debug("setting %s = %r (%s)", row.key, row.value, row.location or row.source)
