"""The settings sections plugins and apps declare: ``spoc_load_settings`` returns ``{"timing": TimingSettings}``.

A section is filled from ``[spoc.timing]`` of every file, ``SPOC_TIMING__*``
variables and ``Framework(settings={"timing": {...}})``, by the same sources
and precedence as the core settings, and validated by the plugin's model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsError

from spoc.errors import ConfigError, did_you_mean, warn_from_user_code
from spoc.settings.messages import problems_of_settings_error, problems_of_validation_error
from spoc.settings.model import Settings
from spoc.settings.origins import ConfigProblem, raise_problems
from spoc.settings.pydantic_sources import reading
from spoc.settings.sources import ProjectSources

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.plugins.host import PluginHost

__all__ = ["load_sections"]

logger = logging.getLogger("spoc.settings")

_RETURN = (
    "return a dict of section names to pydantic model classes (or classes with model_validate), "
    'e.g. {"timing": TimingSettings}'
)


class _SectionSettings(BaseSettings):
    """Reads one section with the sources and precedence of ``spoc.Settings``: its config, its sources."""

    model_config = Settings.model_config
    settings_customise_sources = classmethod(Settings.settings_customise_sources.__func__)  # type: ignore[attr-defined,var-annotated]


def _only_given_values(
    cls: type[BaseSettings], /, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, **_: Any
) -> tuple[PydanticBaseSettingsSource, ...]:
    return (init_settings,)


def _without_own_sources(model: type[BaseModel]) -> type[BaseModel]:
    """Keep a section that is itself a ``BaseSettings`` from reading the environment a second time, unprefixed."""
    if not issubclass(model, BaseSettings):
        return model
    namespace = {"__module__": model.__module__, "settings_customise_sources": classmethod(_only_given_values)}
    return type(model.__name__, (model,), namespace)


def _declared(host: PluginHost, framework: Framework, problems: list[ConfigProblem]) -> dict[str, tuple[Any, str]]:
    """Ask every plugin for its sections: ``{name: (model, owner)}``."""
    found: dict[str, tuple[Any, str]] = {}
    for impl in host.ordered_impls("spoc_load_settings"):
        owner = host.describe_impl(impl)
        declared = host.call_plugin("spoc_load_settings", impl, framework=framework) or {}
        if not isinstance(declared, Mapping):
            problems.append(ConfigProblem(f"spoc_load_settings of {owner} returned {declared!r}; {_RETURN}"))
            continue
        for name, model in declared.items():
            if name in found:
                raise ConfigError(
                    f"settings section [spoc.{name}] is claimed by both {found[name][1]} and {owner}. "
                    "Disable one of the plugins or rename a section.",
                    key=f"spoc.{name}",
                )
            if not isinstance(model, type) or not issubclass(model, BaseModel):
                problems.append(
                    ConfigProblem(f"spoc_load_settings of {owner} gave section {name!r} {model!r}; {_RETURN}")
                )
            elif (
                not isinstance(name, str)
                or not name.isidentifier()
                or name in type(framework.settings).model_fields
                or not name.islower()
            ):
                problems.append(
                    ConfigProblem(
                        f"spoc_load_settings of {owner} declares a section named {name!r}: a section name is a "
                        "lowercase identifier other than the settings fields "
                        f"({', '.join(type(framework.settings).model_fields)})"
                    )
                )
            else:
                found[name] = (model, owner)
    return found


def load_sections(
    host: PluginHost, framework: Framework, sources: ProjectSources, settings: Settings
) -> dict[str, Any]:
    """Ask every plugin for its settings sections and validate them from every source.

    Raises:
        ConfigError: two plugins claim one section, or sections are invalid (all problems together).
    """
    problems: list[ConfigProblem] = []
    declared = _declared(host, framework, problems)
    sections: dict[str, Any] = {}
    dotenv = sources.dotenv.path if sources.dotenv is not None else None
    for name, (model, owner) in declared.items():
        reader = create_model(  # type: ignore[call-overload]
            f"{model.__name__}Section",
            __base__=_SectionSettings,
            **{name: (_without_own_sources(model), Field(default_factory=dict, validate_default=True))},
        )
        init = {name: sources.overrides[name]} if name in sources.overrides else {}
        try:
            with reading(sources):
                sections[name] = getattr(reader(_env_file=dotenv, **init), name)
        except ValidationError as exc:
            # Not chained: pydantic's own message would print the values, secrets included.
            problems += problems_of_validation_error(reader, exc, sources.origin_of)
        except SettingsError as exc:
            problems += problems_of_settings_error(reader, exc, sources.origin_of, lambda path: None)
        except Exception as exc:  # noqa: BLE001 - a bug in the plugin's own validators, reported with the rest
            problems.append(
                ConfigProblem(
                    f"validating [spoc.{name}] with {model.__name__} of {owner} raised "
                    f"{type(exc).__name__}: {exc}. Fix the model's validators."
                )
            )
    raise_problems(problems)
    for name, origin in sources.section_tables(type(settings).model_fields):
        if name not in declared:
            warn_from_user_code(
                f"[spoc.{name}] in {origin} is not claimed by any loaded plugin or app and is "
                f"ignored{did_you_mean(name, declared)}; is its plugin installed and not blocked?"
            )
    return sections
