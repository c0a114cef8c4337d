"""``spoc.Settings``: SPOC's core settings as a pydantic-settings model, for projects to subclass.

A project declares its own typed settings by subclassing it as ``Settings`` in
its settings module (``config/settings.py``); ``fw.settings`` is an instance of
that class. Every field, SPOC's and the project's, comes from the same sources
with the same precedence (see :mod:`spoc.settings.sources`).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from spoc.errors import did_you_mean
from spoc.settings.pydantic_sources import project_sources
from spoc.settings.sources import MODULE_ONLY_NAMES

__all__ = ["SchemaTable", "Settings"]

T = TypeVar("T")


class SchemaTable(BaseModel):
    """``[spoc.schema]``: the module kinds and their dependencies, used when the code passes no Schema."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    modules: list[str] = Field(default_factory=list)
    dependencies: dict[str, list[str]] = Field(default_factory=dict)


# A field named `schema` shadows BaseModel.schema(), pydantic's deprecated name for
# model_json_schema(); the field is what `[spoc.schema]` is called, so it wins.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)

    class Settings(BaseSettings):
        """The validated settings of one framework: ``fw.settings``.

        SPOC's core fields are below; a project adds its own in a subclass. The
        settings module's other UPPERCASE names are attributes too
        (``fw.settings.SITE_NAME``, Django's habit); a plugin's section is
        ``fw.settings.section("timing")``. The settings are frozen: change a
        source (spoc.toml, a ``SPOC_*`` variable, ``Framework(settings=...)``).
        """

        model_config = SettingsConfigDict(
            env_prefix="SPOC_",
            env_nested_delimiter="__",
            env_ignore_empty=True,
            env_file_encoding="utf-8-sig",
            extra="ignore",  # unknown keys are reported by SPOC, with where they are
            frozen=True,
        )

        mode: str = "development"
        debug: bool = False
        apps: dict[str, list[str]] = Field(default_factory=dict)
        modes: dict[str, list[str]] = Field(default_factory=dict)
        schema: SchemaTable = Field(default_factory=SchemaTable)  # type: ignore[assignment]
        plugins: dict[str, list[str]] = Field(default_factory=dict)
        disable_plugins: list[str] = Field(default_factory=list)
        plugin_errors: Literal["raise", "warn"] = "raise"
        pause_gc: bool = True

        # What an error says a core value should look like (other fields: their type).
        EXPECTED: ClassVar[dict[str, str]] = {
            "mode": 'a string, e.g. mode = "production"',
            "debug": "true or false",
            "apps": 'a table of lists of app names, e.g. production = ["blog"]',
            "apps.*": 'a list of app names, e.g. production = ["blog"]',
            "modes": 'a table of mode cascades, e.g. test = ["test", "production"]',
            "modes.*": 'a list of modes, strongest first, e.g. test = ["test", "production"]',
            "schema": "a table with modules = [...] and [spoc.schema.dependencies]",
            "plugins": 'a table of lists of dotted paths, e.g. middleware = ["pkg.mod"]',
            "plugins.*": 'a list of dotted paths, e.g. middleware = ["pkg.mod"]',
            "disable_plugins": 'a list of plugin names, e.g. ["timing"]',
            "disable_plugins.*": "a plugin name (a string)",
            "plugin_errors": '"raise" or "warn"',
            "pause_gc": "true or false",
        }

        _cascade: list[str] = PrivateAttr(default_factory=list)
        _installed_apps: list[str] = PrivateAttr(default_factory=list)
        _uppercase: dict[str, Any] = PrivateAttr(default_factory=dict)
        _env: dict[str, Any] = PrivateAttr(default_factory=dict)
        _sections: dict[str, Any] = PrivateAttr(default_factory=dict)

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            """Read, strongest first: init arguments, ``SPOC_*`` variables, ``.env``, then SPOC's files.

            A subclass may override this to add sources of its own (a secrets
            manager, say) and call ``super()`` for SPOC's.
            """
            return (init_settings, env_settings, dotenv_settings, *project_sources(settings_cls))

        @property
        def cascade(self) -> list[str]:
            """The modes whose apps load, strongest first."""
            return list(self._cascade)

        @property
        def installed_apps(self) -> list[str]:
            """The apps in load order."""
            return list(self._installed_apps)

        @property
        def env(self) -> dict[str, Any]:
            """The ``[env]`` table of the per-mode file (``config/.env/<mode>.toml``)."""
            return dict(self._env)

        @property
        def sections(self) -> dict[str, Any]:
            """Every section declared through ``spoc_load_settings``, validated, by name."""
            return dict(self._sections)

        @overload
        def section(self, name: str) -> Any: ...

        @overload
        def section(self, name: str, model: type[T]) -> T: ...

        def section(self, name: str, model: type[Any] | None = None) -> Any:
            """Return the validated section ``name``; with ``model``, checked to be that model (and typed so).

            Raises:
                KeyError: no plugin or app declared the section.
                TypeError: the section is not an instance of ``model``.
            """
            sections = self._sections
            if name not in sections:
                raise KeyError(
                    f"no settings section {name!r}{did_you_mean(name, sections)}; "
                    f"sections: {', '.join(sections) or 'none'}. A plugin declares one "
                    "by returning it from spoc_load_settings."
                )
            found = sections[name]
            if model is not None and not isinstance(found, model):
                raise TypeError(
                    f"settings section {name!r} is a {type(found).__name__}, not a {model.__name__}: "
                    "another plugin declared it; ask for the model that plugin returns from spoc_load_settings"
                )
            return found

        if not TYPE_CHECKING:  # type checkers see the declared fields only

            def __getattr__(self, name: str) -> Any:
                if name.startswith("_"):
                    return super().__getattr__(name)
                fields = type(self).model_fields
                if name.lower() in fields and name not in MODULE_ONLY_NAMES:  # DEBUG is debug, the value in force
                    return getattr(self, name.lower())
                uppercase = (self.__pydantic_private__ or {}).get("_uppercase") or {}
                if name in uppercase:
                    return uppercase[name]
                import difflib

                known = {key.lower(): key for key in [*uppercase, *fields]}  # GRETING may mean greeting
                close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
                hint = f" (did you mean {known[close[0]]!r}?)" if close else ""
                raise AttributeError(
                    f"no setting {name!r}{hint}; the settings module's UPPERCASE names "
                    "and the settings fields are attributes, sections are section(name)"
                )

        def __dir__(self) -> list[str]:
            return sorted({*super().__dir__(), *self._uppercase})
