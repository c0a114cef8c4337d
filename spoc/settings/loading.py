"""Build ``fw.settings``: the project's settings class, filled by pydantic-settings from every source, once.

The class is the settings module's ``Settings`` (a subclass of ``spoc.Settings``),
else ``spoc.Settings``. pydantic validates; this module adds what pydantic cannot
know: where a wrong value was set, unknown keys and variables, the modes and
the apps they select. Every problem is reported together in one ``ConfigError``.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from spoc.errors import ConfigError
from spoc.settings.messages import problems_of_settings_error, problems_of_validation_error
from spoc.settings.model import Settings
from spoc.settings.modes import check_modes, known_modes, select_apps
from spoc.settings.origins import ConfigProblem, Origin, raise_problems
from spoc.settings.pydantic_sources import reading
from spoc.settings.sources import ProjectSources

__all__ = ["load_settings", "settings_class"]

logger = logging.getLogger("spoc.settings")


def settings_class(sources: ProjectSources) -> type[Settings]:
    """Return the project's settings class: its settings module's ``Settings``, else ``spoc.Settings``.

    Raises:
        ConfigError: the module's ``Settings`` is not a subclass of ``spoc.Settings``.
    """
    module = sources.module
    declared = module.settings_class if module is not None else None
    if declared is None:
        return Settings
    if not issubclass(declared, Settings):
        assert module is not None  # declared comes from it
        raise ConfigError(
            f"Settings is a class that does not subclass spoc.Settings ({declared!r}). "
            "Declare it as `class Settings(spoc.Settings): ...`, or rename it.",
            path=module.path,
            line=module.origin("Settings").line,
            key="Settings",
        )
    return declared


def _is_str_list(value: Any) -> bool:
    # Tuples are welcome from the settings module; TOML only makes lists.
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def module_problems(sources: ProjectSources) -> list[ConfigProblem]:
    """Check the settings module's names with a meaning of their own: ``INSTALLED_APPS`` and ``PLUGINS``."""
    names = sources.names()
    problems = []

    def origin(name: str) -> Origin | None:
        return sources.module.origin(name) if sources.module is not None and name in sources.module.names else None

    if not _is_str_list(names.get("INSTALLED_APPS", [])):
        problems.append(
            ConfigProblem(
                f"INSTALLED_APPS = {names['INSTALLED_APPS']!r} is invalid: expected a list of app names",
                origin("INSTALLED_APPS"),
                "INSTALLED_APPS",
            )
        )
    plugins = names.get("PLUGINS", {})
    if not isinstance(plugins, dict) or not all(_is_str_list(uris) for uris in plugins.values()):
        problems.append(
            ConfigProblem(
                f"PLUGINS = {plugins!r} is invalid: expected a dict of lists of dotted paths, "
                'e.g. PLUGINS = {"middleware": ["myproject.middleware"]}',
                origin("PLUGINS"),
                "PLUGINS",
            )
        )
    return problems


def load_settings(sources: ProjectSources) -> Settings:
    """Validate the project's settings from ``sources``; nothing is written, the environment is only read.

    Raises:
        ConfigError: listing every problem found, each with its file and line or variable.
    """
    cls = settings_class(sources)
    problems = [*sources.problems, *sources.unknown_keys(cls.model_fields), *module_problems(sources)]
    settings: Settings | None = None
    init = {key: value for key, value in sources.overrides.items() if key in cls.model_fields}
    # A .env file with a line it cannot read is reported once, by SPOC, not again by python-dotenv.
    unreadable = any(problem.origin and problem.origin.source == "dotenv" for problem in sources.problems)
    dotenv = sources.dotenv.path if sources.dotenv is not None and not unreadable else None
    with reading(sources):
        try:
            settings = cls(_env_file=dotenv, **init)  # type: ignore[call-arg]  # BaseSettings.__init__ takes it
        except ValidationError as exc:
            problems += problems_of_validation_error(cls, exc, sources.origin_of)
        except SettingsError as exc:
            problems += problems_of_settings_error(cls, exc, sources.origin_of, _raw(sources))
    if settings is not None:
        problems += check_modes(settings.mode, known_modes(settings.modes), settings.apps, sources.origin_of)
    raise_problems(problems)
    assert settings is not None  # raise_problems raised otherwise
    settings._cascade = list(known_modes(settings.modes)[settings.mode])
    installed = list(sources.names().get("INSTALLED_APPS", []))
    listed = select_apps(installed, None, settings.apps, settings._cascade, sources.origin_of)
    settings._installed_apps = [app.name for app in listed]
    settings._uppercase = sources.names()
    settings._env = {key: value for key, (value, _) in sources.mode_env.items()}
    return settings


def _raw(sources: ProjectSources) -> Any:
    def value(path: tuple[str, ...]) -> Any:
        return sources.value_of(path[0]) if path else None

    return value
