"""The Schema: which modules every app has, in what order, with which hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypedDict

from spoc.errors import ConfigError, did_you_mean

ModuleHook = Callable[[ModuleType], Any]


class Hook(TypedDict, total=False):
    """Functions called with each imported module of one kind."""

    startup: ModuleHook
    shutdown: ModuleHook


_HOOK_KEYS = ("startup", "shutdown")


@dataclass(frozen=True)
class Schema:
    """The module kinds of every app, their dependencies and their hooks.

    Args:
        modules: module kinds, e.g. ``["models", "views"]``; their order
            breaks ties between kinds that do not depend on each other.
        dependencies: kind -> kinds that must be imported before it.
        hooks: kind -> ``{"startup": f, "shutdown": g}``, each called with
            the imported module object.
    """

    modules: Sequence[str]
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    hooks: Mapping[str, Hook] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.modules, str) or not all(isinstance(m, str) and m for m in self.modules):
            raise ConfigError(
                f"Schema(modules=...) must be a list of module names, got {self.modules!r}. "
                'Example: Schema(modules=["models", "views"]).',
                key="modules",
            )
        object.__setattr__(self, "modules", list(dict.fromkeys(self.modules)))
        deps: dict[str, list[str]] = {}
        for kind, needs in self.dependencies.items():
            if isinstance(needs, str) or not all(isinstance(n, str) for n in needs):
                raise ConfigError(
                    f"Schema dependencies of {kind!r} must be a list of module names, got {needs!r}. "
                    f'Example: dependencies={{"{kind}": ["models"]}}.',
                    key=f"dependencies.{kind}",
                )
            deps[kind] = list(needs)
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
    def from_table(cls, table: Mapping[str, Any]) -> Schema:
        """Build a Schema from the ``[spoc.schema]`` table of spoc.toml."""
        return cls(modules=table.get("modules", []), dependencies=table.get("dependencies", {}))

    def hook(self, kind: str, when: str) -> ModuleHook | None:
        """Return the ``startup`` or ``shutdown`` hook of a module kind, if any."""
        hook = self.hooks.get(kind) or {}
        function = hook.get("startup") if when == "startup" else hook.get("shutdown")
        return function
