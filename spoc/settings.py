"""Build ``fw.settings``: the core settings plus the sections plugins and apps declare.

A plugin returns ``{"timing": TimingSettings}`` from ``spoc_load_settings``;
the section is filled from ``[spoc.timing]`` of every file and from
``SPOC_TIMING__*`` variables, and validated by the plugin's pydantic model
(pydantic is imported only then). This module also lists every value with its
source, secrets masked, for the ``settings`` command and the debug log.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spoc.config import ProjectConfig
from spoc.core_keys import CORE_KEYS
from spoc.errors import ConfigError, SpocWarning, did_you_mean
from spoc.layers import Origin, Path_, Problem, flatten, raise_problems
from spoc.log import DEBUG, get_logger
from spoc.secrets import MASK, is_secret_name, is_secret_value
from spoc.settings_model import SpocSettings
from spoc.sources import python_line

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.plugins import PluginHost

__all__ = ["SettingRow", "build_settings", "load_sections", "setting_rows"]

logger = get_logger("spoc.settings")


def build_settings(config: ProjectConfig, sections: Mapping[str, Any] | None = None) -> SpocSettings:
    """Return ``fw.settings``: the validated core of ``config``, with its sections once they are known."""
    settings = SpocSettings(
        config.core.as_dict(),
        cascade=config.cascade,
        installed_apps=config.app_names,
        uppercase=config.module_settings,
        env=config.env,
        sections=sections,
    )
    if sections is not None and logger.isEnabledFor(DEBUG):
        import json  # only for the debug log and listings: json costs milliseconds to import

        for row in setting_rows(settings, config):
            logger.debug("setting %s = %s (%s)", row.key, json.dumps(row.value), row.location or row.source)
    return settings


def _declared(host: PluginHost, framework: Framework, problems: list[Problem]) -> dict[str, tuple[type[Any], str]]:
    """Ask every plugin for its sections: ``{name: (model, owner)}``."""
    found: dict[str, tuple[type[Any], str]] = {}
    for impl in host.ordered_impls("spoc_load_settings"):
        owner = host.describe_impl(impl)
        declared = host.call_one("spoc_load_settings", impl, framework=framework) or {}
        if not isinstance(declared, Mapping):
            problems.append(Problem(f"spoc_load_settings of {owner} returned {declared!r}; {_RETURN}"))
            continue
        for name, model in declared.items():
            if name in found:
                raise ConfigError(
                    f"settings section [spoc.{name}] is claimed by both {found[name][1]} and {owner}. "
                    "Disable one of the plugins or rename a section.",
                    key=f"spoc.{name}",
                )
            if not isinstance(model, type) or not callable(getattr(model, "model_validate", None)):
                problems.append(Problem(f"spoc_load_settings of {owner} gave section {name!r} {model!r}; {_RETURN}"))
            elif not isinstance(name, str) or not name.isidentifier() or name in CORE_KEYS or not name.islower():
                problems.append(
                    Problem(
                        f"spoc_load_settings of {owner} declares a section named {name!r}: a section name is "
                        f"a lowercase identifier other than the core keys ({', '.join(CORE_KEYS)})"
                    )
                )
            else:
                found[name] = (model, owner)
    return found


_RETURN = (
    "return a dict of section names to pydantic model classes (or classes with model_validate), "
    'e.g. {"timing": TimingSettings}'
)


def load_sections(host: PluginHost, framework: Framework, config: ProjectConfig) -> dict[str, Any]:
    """Ask every plugin for its settings sections and validate them from every source.

    Raises:
        ConfigError: two plugins claim one section, or sections are invalid (all problems together).
    """
    problems: list[Problem] = []
    declared = _declared(host, framework, problems)
    sections: dict[str, Any] = {}
    if declared:
        # Here only: a project whose plugins declare no section never imports pydantic.
        from spoc.pydantic_sections import validate_section
    for name, (model, owner) in declared.items():
        leaves = flatten(config.sections.get(name, {}))
        try:
            section = validate_section(model, leaves, config.section_origins(name), problems, prefix=(name,))
        except Exception as exc:  # noqa: BLE001 - a bug in the plugin's own validators, reported with the rest
            problems.append(
                Problem(
                    f"validating [spoc.{name}] with {model.__name__} of {owner} raised "
                    f"{type(exc).__name__}: {exc}. Fix the model's validators."
                )
            )
            continue
        if section is not None:
            sections[name] = section
    raise_problems(problems)
    for name in config.sections:
        if name not in declared:
            warnings.warn(
                f"[spoc.{name}] in {config.origin_of((name,))} is not claimed by any loaded plugin or app and is "
                f"ignored{did_you_mean(name, declared)}; is its plugin installed and not blocked?",
                SpocWarning,
                stacklevel=3,
            )
    return sections


# -- listing -------------------------------------------------------------------------------


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
