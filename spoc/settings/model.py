"""``fw.settings``: the core settings as a frozen, typed object, with the project's other settings.

A plain class rather than a pydantic model, so that building a Framework
imports no pydantic unless a plugin declares a settings section: the core keys
are validated by :mod:`spoc.core_keys`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import FrozenInstanceError
from typing import Any, Literal, TypeVar, overload

from spoc.errors import did_you_mean
from spoc.settings.core_keys import CORE_KEYS, check_core

__all__ = ["SchemaTable", "SpocSettings"]

T = TypeVar("T")


class SchemaTable:
    """``[spoc.schema]``: the module kinds and their dependencies, used when the code passes no Schema.

    Frozen like the settings that hold it, and equal by value. A plain class: a
    dataclass costs ~1 ms when the module is imported, on every start.
    """

    __slots__ = ("dependencies", "modules")

    modules: list[str]
    dependencies: dict[str, list[str]]

    def __init__(self, modules: list[str] | None = None, dependencies: dict[str, list[str]] | None = None) -> None:
        object.__setattr__(self, "modules", [] if modules is None else modules)
        object.__setattr__(self, "dependencies", {} if dependencies is None else dependencies)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild through __init__; __setattr__ refuses to.
        return (SchemaTable, (self.modules, self.dependencies))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchemaTable):
            return NotImplemented
        return (self.modules, self.dependencies) == (other.modules, other.dependencies)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and it holds lists: unhashable, as a dict

    def __repr__(self) -> str:
        return f"SchemaTable(modules={self.modules!r}, dependencies={self.dependencies!r})"


def _restore(values: dict[str, Any], context: dict[str, Any]) -> SpocSettings:
    return SpocSettings(values, **context)


class SpocSettings:
    """The validated settings of one framework: ``fw.settings``.

    The core keys of ``[spoc]`` are attributes; ``cascade``, ``installed_apps``,
    ``env`` and ``sections`` are read-only properties; every UPPERCASE name of
    the settings module is an attribute (``fw.settings.DATABASE``); a plugin's
    section is ``fw.settings.section("timing")``. Assigning an attribute raises
    :class:`dataclasses.FrozenInstanceError`: the settings are decided once.
    """

    __slots__ = (*CORE_KEYS, "_cascade", "_installed_apps", "_uppercase", "_env", "_sections")

    mode: str
    debug: bool
    apps: dict[str, list[str]]
    modes: dict[str, list[str]]
    schema: SchemaTable
    plugins: dict[str, list[str]]
    disable_plugins: list[str]
    plugin_errors: Literal["raise", "warn"]
    pause_gc: bool

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        cascade: Iterable[str] = (),
        installed_apps: Iterable[str] = (),
        uppercase: Mapping[str, Any] | None = None,
        env: Mapping[str, Any] | None = None,
        sections: Mapping[str, Any] | None = None,
    ) -> None:
        """Validate the core ``values`` (missing keys take their defaults) and keep the rest as given.

        Raises:
            ConfigError: a core value is wrong (each one named).
        """
        checked = check_core(values or {})
        checked["schema"] = SchemaTable(**checked["schema"])
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_cascade", list(cascade))
        object.__setattr__(self, "_installed_apps", list(installed_apps))
        object.__setattr__(self, "_uppercase", dict(uppercase or {}))
        object.__setattr__(self, "_env", dict(env or {}))
        object.__setattr__(self, "_sections", dict(sections or {}))

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

    def as_dict(self) -> dict[str, Any]:
        """Return the core values as plain data, ``schema`` as a table: what spoc.toml would hold.

        The lists and tables are copies: changing them changes nothing here.
        """
        values = {name: _copied(getattr(self, name)) for name in CORE_KEYS}
        values["schema"] = {"modules": list(self.schema.modules), "dependencies": _copied(self.schema.dependencies)}
        return values

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
        if name not in self._sections:
            raise KeyError(
                f"no settings section {name!r}{did_you_mean(name, self._sections)}; "
                f"sections: {', '.join(self._sections) or 'none'}. A plugin declares one "
                "by returning it from spoc_load_settings."
            )
        found = self._sections[name]
        if model is not None and not isinstance(found, model):
            raise TypeError(
                f"settings section {name!r} is a {type(found).__name__}, not a {model.__name__}: "
                "another plugin declared it; ask for the model that plugin returns from spoc_load_settings"
            )
        return found

    def __getattr__(self, name: str) -> Any:
        # Only called when no core key or property has the name.
        if name.startswith("_"):
            raise AttributeError(name)
        uppercase: dict[str, Any] = self._uppercase
        if name in uppercase:
            return uppercase[name]
        raise AttributeError(
            f"no setting {name!r}{did_you_mean(name, [*uppercase, *CORE_KEYS])}; the settings module's "
            "UPPERCASE names and the core settings are attributes, sections are section(name)"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(
            f"cannot set {name!r}: the settings are frozen. Change spoc.toml, a SPOC_* variable "
            "or Framework(settings=...) instead."
        )

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete {name!r}: the settings are frozen")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._uppercase})

    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        context = {
            "cascade": self._cascade,
            "installed_apps": self._installed_apps,
            "uppercase": self._uppercase,
            "env": self._env,
            "sections": self._sections,
        }
        return self.as_dict(), context

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpocSettings) or type(other) is not type(self):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]  # equal by value, and it holds lists: unhashable, as a dict

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild through __init__; __setattr__ refuses to.
        return (_restore, self._state())

    def __repr__(self) -> str:
        return f"SpocSettings(mode={self.mode!r}, apps={self.installed_apps!r}, sections={list(self.sections)!r})"


def _copied(value: Any) -> Any:
    """Copy nested lists and tables (the core values hold nothing else)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value
