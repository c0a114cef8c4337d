"""Build ``fw.settings``: the core settings plus the sections plugins and apps declare.

A plugin returns ``{"timing": TimingSettings}`` from ``spoc_load_settings``;
the section is filled from ``[spoc.timing]`` of every file and from
``SPOC_TIMING__*`` variables, and validated by the plugin's pydantic model
(pydantic is imported only then). :mod:`spoc.settings_listing` lists every
value with its source, for the ``settings`` command and the debug log.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from spoc.errors import ConfigError, SpocWarning, did_you_mean
from spoc.settings.core_keys import CORE_KEYS
from spoc.settings.layers import Problem, flatten, raise_problems
from spoc.settings.model import SpocSettings
from spoc.settings.project import ProjectConfig

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.plugins.host import PluginHost

__all__ = ["build_settings", "load_sections"]

logger = logging.getLogger("spoc.settings")


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
    if sections is not None and logger.isEnabledFor(logging.DEBUG):
        import json  # only for the debug log: json costs milliseconds to import

        from spoc.settings.listing import setting_rows

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
        from spoc.settings.pydantic_sections import validate_section
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
