"""The pydantic model of ``fw.settings``, and validation that says where each wrong value was set.

Imported only when a Framework first builds its settings, so that ``import spoc``
stays free of pydantic. SPOC reads every source itself, as pydantic-settings'
sources would, because each value must know its file and line or its variable;
pydantic validates the merged result. (Importing pydantic_settings itself would
also import asyncio, which a project without async workers never needs.)
"""

from __future__ import annotations

import collections.abc
import contextlib
import json
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from spoc.errors import did_you_mean
from spoc.layers import CORE_KEYS, Origin, Path_, Problem, origin_for, unflatten
from spoc.secrets import MASK, is_secret_name

__all__ = ["SchemaTable", "SpocSettings", "annotation_at", "validate"]

ModelT = TypeVar("ModelT", bound=BaseModel)

# What each core key expects, said in errors.
_EXPECTED: Final[dict[str, str]] = {
    "mode": 'a string, e.g. mode = "production"',
    "debug": "true or false",
    "apps": 'a table of lists of app names, e.g. production = ["blog"]',
    "modes": 'a table of mode cascades, e.g. test = ["test", "production"]',
    "schema": "a table with modules = [...] and [spoc.schema.dependencies]",
    "plugins": 'a table of lists of dotted paths, e.g. middleware = ["pkg.mod"]',
    "disable_plugins": 'a list of plugin names, e.g. ["timing"]',
    "plugin_errors": '"raise" or "warn"',
}
# What a value one level down expects, e.g. [spoc.apps] production = ...
_EXPECTED_INSIDE: Final[dict[str, str]] = {
    "apps": 'a list of app names, e.g. production = ["blog"]',
    "modes": 'a list of modes, strongest first, e.g. test = ["test", "production"]',
    "plugins": 'a list of dotted paths, e.g. middleware = ["pkg.mod"]',
    "disable_plugins": "a plugin name (a string)",
}
_STRING_SOURCES: Final = ("environment", "dotenv")
_SHAPE_ERRORS: Final = ("list_type", "dict_type", "model_type", "model_attributes_type", "tuple_type", "set_type")
_COMPLEX: Final = (list, tuple, set, frozenset, dict)


class SchemaTable(BaseModel):
    """``[spoc.schema]``: the module kinds and their dependencies, used when the code passes no Schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    modules: list[str] = Field(default_factory=list)
    dependencies: dict[str, list[str]] = Field(default_factory=dict)


class SpocSettings(BaseModel):
    """The validated settings of one framework: ``fw.settings``.

    The core keys of ``[spoc]`` are fields; ``cascade``, ``installed_apps``,
    ``env`` and ``sections`` are read-only properties; every UPPERCASE name of
    the settings module is an attribute (``fw.settings.DATABASE``); a plugin's
    section is ``fw.settings.section("timing")``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    mode: str = "development"
    debug: bool = False
    apps: dict[str, list[str]] = Field(default_factory=dict)
    modes: dict[str, list[str]] = Field(default_factory=dict)
    schema_: SchemaTable = Field(default_factory=SchemaTable, alias="schema")
    plugins: dict[str, list[str]] = Field(default_factory=dict)
    disable_plugins: list[str] = Field(default_factory=list)
    plugin_errors: Literal["raise", "warn"] = "raise"

    _cascade: list[str] = PrivateAttr(default_factory=list)
    _installed_apps: list[str] = PrivateAttr(default_factory=list)
    _uppercase: dict[str, Any] = PrivateAttr(default_factory=dict)
    _env: dict[str, Any] = PrivateAttr(default_factory=dict)
    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)

    @property
    def schema(self) -> SchemaTable:  # type: ignore[override]  # the name BaseModel's deprecated schema() had
        """``[spoc.schema]``: ``modules`` and ``dependencies``."""
        return self.schema_

    @property
    def cascade(self) -> list[str]:
        """The modes whose apps load, strongest first."""
        return list(self._private("_cascade"))

    @property
    def installed_apps(self) -> list[str]:
        """The apps in load order."""
        return list(self._private("_installed_apps"))

    @property
    def env(self) -> dict[str, Any]:
        """The ``[env]`` table of the per-mode file (``config/.env/<mode>.toml``)."""
        return dict(self._private("_env"))

    @property
    def sections(self) -> dict[str, BaseModel]:
        """Every section declared through ``spoc_load_settings``, validated, by name."""
        return dict(self._private("_sections"))

    def section(self, name: str, model: type[ModelT] | None = None) -> Any:
        """Return the validated section ``name``; with ``model``, checked to be that model (and typed so).

        Raises:
            KeyError: no plugin or app declared the section.
            TypeError: the section is not an instance of ``model``.
        """
        sections: dict[str, BaseModel] = self._private("_sections")
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

    def _private(self, name: str) -> Any:
        private = object.__getattribute__(self, "__pydantic_private__") or {}
        return private[name]

    def __getattr__(self, name: str) -> Any:
        private = object.__getattribute__(self, "__pydantic_private__") or {}
        if name in private:
            return private[name]
        if name.startswith("_"):
            raise AttributeError(name)
        uppercase: dict[str, Any] = private.get("_uppercase", {})
        if name in uppercase:
            return uppercase[name]
        raise AttributeError(
            f"no setting {name!r}{did_you_mean(name, [*uppercase, *CORE_KEYS])}; the settings module's "
            "UPPERCASE names and the core settings are attributes, sections are section(name)"
        )

    def __repr__(self) -> str:
        return f"SpocSettings(mode={self.mode!r}, apps={self.installed_apps!r}, sections={list(self.sections)!r})"


# -- validation ----------------------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """Return the alternatives of a type: ``Optional[list[str]]`` is ``[list[str], None]``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [alt for arg in get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _field(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info
    return None


def annotation_at(model: Any, path: Path_) -> Any:
    """Return the type expected at ``path`` inside ``model``, or ``None`` when it cannot be told."""
    current = model
    for part in path:
        step = None
        for alt in _unwrap(current):
            if isinstance(alt, type) and issubclass(alt, BaseModel):
                info = _field(alt, part)
                step = info.annotation if info is not None else None
            elif get_origin(alt) in (dict, Mapping, collections.abc.Mapping) and get_args(alt):
                step = get_args(alt)[1]
            elif get_origin(alt) in (list, tuple, set, frozenset) and get_args(alt) and part.isdigit():
                step = get_args(alt)[0]
            if step is not None:
                break
        if step is None:
            return None
        current = step
    return current


def _is_complex(annotation: Any) -> bool:
    for alt in _unwrap(annotation):
        origin = get_origin(alt) or alt
        if isinstance(origin, type) and (issubclass(origin, (*_COMPLEX, BaseModel)) or origin in _ABCS):
            return True
    return False


_ABCS: Final = (collections.abc.Mapping, collections.abc.Sequence, collections.abc.Set)


def _is_secret(model: Any, path: Path_) -> bool:
    names = {getattr(alt, "__name__", "") for alt in _unwrap(annotation_at(model, path))}
    return is_secret_name(path) or bool(names & {"SecretStr", "SecretBytes", "Secret"})


def _decoded(model: type[BaseModel], leaves: Mapping[Path_, Any], origins: Mapping[Path_, Origin]) -> dict[Path_, Any]:
    """Decode JSON lists and tables given as variables (``SPOC_DISABLE_PLUGINS='["timing"]'``)."""
    decoded = dict(leaves)
    for path, value in leaves.items():
        origin = origins.get(path)
        if not isinstance(value, str) or origin is None or origin.source not in _STRING_SOURCES:
            continue
        annotation = annotation_at(model, path)
        wanted = _is_complex(annotation) if annotation is not None else value.lstrip()[:1] in ("[", "{")
        if wanted:
            # Not JSON: left as a string, and validation says what is expected.
            with contextlib.suppress(ValueError):
                decoded[path] = json.loads(value)
    return decoded


def _problem(
    model: type[BaseModel], error: Mapping[str, Any], origins: Mapping[Path_, Origin], prefix: Path_
) -> Problem:
    loc = tuple(str(part) for part in error["loc"])
    origin = origin_for(origins, loc)
    key = "spoc." + ".".join((*prefix, *loc)) if loc else "spoc." + ".".join(prefix)
    if error["type"] == "extra_forbidden":
        parent = annotation_at(model, loc[:-1]) if loc[:-1] else model
        fields = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        fields = [_field(parent, name).alias or name for name in fields] if fields else []
        return Problem(
            f"unknown key {key!r}{did_you_mean(loc[-1], fields)}; valid keys: {', '.join(fields) or 'none'}",
            origin,
            key,
        )
    if error["type"] == "missing":
        variable = "SPOC_" + "__".join((*prefix, *loc)).upper()
        return Problem(f"{key!r} is required: set it in spoc.toml or as {variable}", None, key)
    value = MASK if _is_secret(model, loc) or is_secret_name(prefix) else error.get("input")
    if model is SpocSettings and len(loc) > 1 and loc[0] in _EXPECTED_INSIDE:
        expected = _EXPECTED_INSIDE[loc[0]]
    elif model is SpocSettings and loc and loc[0] in _EXPECTED:
        expected = _EXPECTED[loc[0]]
    else:
        annotation = annotation_at(model, loc)
        # A plain class by its name; list[str] and friends as written (on 3.10 they pass isinstance(type)).
        plain = isinstance(annotation, type) and typing.get_origin(annotation) is None
        name = annotation.__name__ if plain else None
        expected = f"{name or str(annotation).replace('typing.', '')} ({error['msg']})"
    if origin is not None and origin.source in _STRING_SOURCES and error["type"] in _SHAPE_ERRORS:
        expected += "; a variable gives lists and tables as JSON, e.g. SPOC_DISABLE_PLUGINS='[\"timing\"]'"
    return Problem(f"{key!r} = {value!r} is invalid: expected {expected}", origin, key)


def _only_given_values(
    cls: type[BaseModel], /, settings_cls: type[BaseModel], init_settings: Any, **_: Any
) -> tuple[Any]:
    return (init_settings,)


def _without_own_sources(model: type[ModelT]) -> type[ModelT]:
    """Keep a plugin's ``BaseSettings`` section from reading the environment or files a second time.

    SPOC has read every source already; pydantic-settings would read ``os.environ``
    again (without the ``SPOC_`` prefix) when the model is validated.
    """
    if not any(
        cls.__name__ == "BaseSettings" and cls.__module__.startswith("pydantic_settings") for cls in model.__mro__
    ):
        return model
    namespace = {"__module__": model.__module__, "settings_customise_sources": classmethod(_only_given_values)}
    return type(model.__name__, (model,), namespace)


def validate(
    model: type[ModelT],
    leaves: Mapping[Path_, Any],
    origins: Mapping[Path_, Origin],
    problems: list[Problem],
    prefix: Path_ = (),
) -> ModelT | None:
    """Validate ``leaves`` with ``model``; add a :class:`Problem` per wrong value and return ``None`` if any.

    ``prefix`` is the section's path below ``[spoc]`` (``("timing",)``), used in messages.
    """
    values = unflatten(_decoded(model, leaves, origins))
    try:
        return _without_own_sources(model).model_validate(values)
    except ValidationError as exc:
        # Not chained: pydantic's own message would print the values, secrets included.
        problems.extend(_problem(model, error, origins, prefix) for error in exc.errors())
        return None
