"""The Schema: which modules every app has, in what order, with which hooks."""

from __future__ import annotations

import dataclasses
import keyword
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypedDict

from spoc.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from spoc.settings.origins import KeyPath, Origin

ModuleHook = Callable[[ModuleType], Any]
OriginOf = Callable[["KeyPath"], "Origin | None"]


class Hook(TypedDict, total=False):
    """Functions called with each imported module of one kind."""

    startup: ModuleHook
    shutdown: ModuleHook


_HOOK_KEYS = ("startup", "shutdown")


@dataclass(frozen=True)
class _Labels:
    """How errors name where a Schema's values were given: in code, or in the configuration."""

    modules: str
    dependencies: str
    example: str
    in_code: bool
    origin_of: OriginOf | None = None

    def dependency_example(self, kind: str) -> str:
        return f'dependencies={{"{kind}": ["models"]}}' if self.in_code else f'{kind} = ["models"]'

    def error(self, message: str, path: KeyPath) -> ConfigError:
        """Return the error for a value at ``path`` below ``[spoc]``, located where it was set when known."""
        key = ".".join(path[1:]) if self.in_code else ".".join(("spoc", *path))
        origin = self.origin_of(path) if self.origin_of is not None else None
        if origin is not None and origin.path is not None:
            return ConfigError(message, path=origin.path, line=origin.line, key=key)
        return ConfigError(f"{origin}: {message}" if origin is not None else message, key=key)


_IN_CODE: Final = _Labels(
    "Schema(modules=...)", "Schema(dependencies=...)", 'Schema(modules=["models", "views"])', in_code=True
)
_IN_TABLE: Final = _Labels(
    "[spoc.schema] modules", "[spoc.schema.dependencies]", 'modules = ["models", "views"]', in_code=False
)


def module_name_problem(name: str) -> str | None:
    """Return why ``name`` cannot be a module kind, or ``None`` when it can.

    A module kind names one module directly in each app's folder, imported as
    ``apps.<app>.<name>``: a Python identifier, not a dunder name, not dotted,
    not a path.
    """
    if "." in name or "/" in name or "\\" in name:
        return _dotted_problem(name)
    if not name.isidentifier():
        fixed = "".join(char if char.isalnum() or char == "_" else "_" for char in name)
        like = f" (did you mean {fixed!r}?)" if fixed.isidentifier() else ""
        return f"it is not a Python identifier (letters, digits and underscores, not starting with a digit){like}"
    if name.startswith("__") and name.endswith("__"):
        return (
            "dunder names are Python's own (__init__ is the app's package itself, which SPOC imports already; "
            "__main__ is what `python -m` runs)"
        )
    if keyword.iskeyword(name):
        return "it is a Python keyword, which no import statement can name"
    return None


def _dotted_problem(name: str) -> str:
    if "/" in name or "\\" in name or name.startswith("."):
        stem = name.replace("\\", "/").rstrip("/").rpartition("/")[2].removesuffix(".py")
        like = f", e.g. {stem!r}" if stem.isidentifier() else ""
        return f"it is a path; name the module as it is imported from each app's folder{like}"
    if name.endswith(".py") and name[:-3].isidentifier():
        return f"it is a file name; write {name[:-3]!r}"
    first = name.partition(".")[0]
    return (
        "it is dotted, and a module kind is one module directly in each app's folder "
        f"(apps/<app>/{first}.py, or a package apps/<app>/{first}/__init__.py that imports its submodules)"
    )


def _check_names(modules: Any, dependencies: Mapping[str, Any], labels: _Labels) -> None:
    """Raise a ConfigError for the first module list or module name a Schema cannot use."""
    if isinstance(modules, str) or not all(isinstance(m, str) and m for m in modules):
        raise labels.error(
            f"{labels.modules} must be a list of module names, got {modules!r}. Example: {labels.example}.",
            ("schema", "modules"),
        )
    for name in modules:
        problem = module_name_problem(name)
        if problem is not None:
            raise labels.error(
                f"{labels.modules} lists {name!r}, which cannot be a module kind: {problem}. "
                f"Module kinds are Python identifiers, e.g. {labels.example}.",
                ("schema", "modules"),
            )
    for kind, needs in dependencies.items():
        path = ("schema", "dependencies", str(kind))
        problem = module_name_problem(kind) if isinstance(kind, str) else "it is not a string"
        if problem is not None:
            raise labels.error(
                f"{labels.dependencies} has the key {kind!r}, which cannot be a module kind: {problem}. "
                f"Module kinds are Python identifiers, e.g. {labels.dependency_example('views')}.",
                path,
            )
        if isinstance(needs, str) or not all(isinstance(n, str) for n in needs):
            raise labels.error(
                f"{labels.dependencies}: the dependencies of {kind!r} must be a list of module names, "
                f"got {needs!r}. Example: {labels.dependency_example(kind)}.",
                path,
            )
        for name in needs:
            problem = module_name_problem(name)
            if problem is not None:
                raise labels.error(
                    f"{labels.dependencies} lists {name!r} as a dependency of {kind!r}, "
                    f"which cannot be a module kind: {problem}. "
                    f"Module kinds are Python identifiers, e.g. {labels.dependency_example(kind)}.",
                    path,
                )


@dataclass(frozen=True)
class Schema:
    """The module kinds of every app, their dependencies and their hooks.

    Args:
        modules: module kinds, e.g. ``["models", "views"]``; their order
            breaks ties between kinds that do not depend on each other. Each
            is a Python identifier (not a dunder name, not dotted): the module
            ``apps/<app>/<kind>.py`` of every app.
        dependencies: kind -> kinds that must be imported before it.
        hooks: kind -> ``{"startup": f, "shutdown": g}``, each called with
            the imported module object.

    Raises:
        ConfigError: a value has the wrong type, a name cannot be a module
            kind, or a hook is unknown or not callable.
    """

    modules: Sequence[str]
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    hooks: Mapping[str, Hook] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_names(self.modules, self.dependencies, _IN_CODE)
        object.__setattr__(self, "modules", list(dict.fromkeys(self.modules)))
        deps = {kind: list(needs) for kind, needs in self.dependencies.items()}
        object.__setattr__(self, "dependencies", deps)
        for kind, hook in self.hooks.items():
            if not isinstance(hook, Mapping):
                raise ConfigError(
                    f'the Schema hooks of {kind!r} must be a dict like {{"startup": f, "shutdown": g}}, got {hook!r}.',
                    key=f"hooks.{kind}",
                )
            for key, function in hook.items():
                if key not in _HOOK_KEYS:
                    raise ConfigError(
                        f"Schema hook {key!r} of {kind!r} is not a hook{did_you_mean(key, _HOOK_KEYS)}; "
                        f"valid hooks are {', '.join(_HOOK_KEYS)}.",
                        key=f"hooks.{kind}.{key}",
                    )
                if not callable(function):
                    raise ConfigError(
                        f"Schema hook {kind!r}.{key} must be callable, got {function!r}.",
                        key=f"hooks.{kind}.{key}",
                    )

    @classmethod
    def from_table(cls, table: Mapping[str, Any], origin_of: OriginOf | None = None) -> Schema:
        """Build a Schema from the ``[spoc.schema]`` table of spoc.toml.

        Args:
            table: ``{"modules": [...], "dependencies": {...}}``.
            origin_of: where the value at a key path below ``[spoc]`` was set
                (``ProjectSources.origin_of``), so that an error names the file and line.

        Raises:
            ConfigError: naming the key, and where it was set when ``origin_of`` is given.
        """
        modules, dependencies = table.get("modules", []), table.get("dependencies", {})
        labels = dataclasses.replace(_IN_TABLE, origin_of=origin_of)
        _check_names(modules, dependencies, labels)
        return cls(modules=modules, dependencies=dependencies)

    def hook(self, kind: str, when: str) -> ModuleHook | None:
        """Return the ``startup`` or ``shutdown`` hook of a module kind, if any."""
        hook = self.hooks.get(kind) or {}
        function = hook.get("startup") if when == "startup" else hook.get("shutdown")
        return function
