"""Components: classes and functions tagged with a decorator, and their registry.

Tagging records the object in its defining module (``__spoc_components__``)
at decoration time, so collecting a module's components never scans it, and
only objects *defined* in a module count as its components, not ones it imports.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any, Final, TypeVar, overload

from spoc.errors import DuplicateComponentError, SpocError, did_you_mean

__all__ = ["ComponentInfo", "ComponentRegistry", "Components", "component", "get_info", "is_spoc", "location_of"]

T = TypeVar("T")

INFO_ATTRIBUTE: Final = "__spoc__"
MODULE_RECORD: Final = "__spoc_components__"
DEFAULT_TYPE: Final = "component"


@dataclass(frozen=True)
class ComponentInfo:
    """What a decorator attached to a component.

    Attributes:
        type: the component type given to the decorator, e.g. ``"model"``.
        metadata: the type's default metadata, then the decorator's, plus ``type``.
        config: the configuration given to the decorator.
    """

    type: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)


def get_info(obj: object) -> ComponentInfo | None:
    """Return the component information of ``obj``, or ``None`` if it is not tagged."""
    # A class's own namespace only: a subclass of a component is not a component.
    info = vars(obj).get(INFO_ATTRIBUTE) if isinstance(obj, type) else getattr(obj, INFO_ATTRIBUTE, None)
    return info if isinstance(info, ComponentInfo) else None


def is_spoc(obj: object) -> bool:
    """Return whether ``obj`` is tagged as a component of any type."""
    return get_info(obj) is not None


def location_of(obj: object) -> str:
    """Return ``file:line`` where ``obj`` is defined, as precisely as Python knows it."""
    code = getattr(obj, "__code__", None)
    if code is not None:
        return f"{code.co_filename}:{code.co_firstlineno}"
    try:
        filename = inspect.getsourcefile(obj)  # type: ignore[arg-type]
        _, line = inspect.getsourcelines(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
        return getattr(module, "__file__", None) or f"module {getattr(obj, '__module__', '?')}"
    return f"{filename}:{line}"


def _definition_site(module: ModuleType) -> str:
    """Return ``file:line`` of the statement the module is executing (the tagged definition)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals is not module.__dict__:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return getattr(module, "__file__", None) or module.__name__
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _tag(obj: T, info: ComponentInfo) -> T:
    # Tagged before (two decorators): then it may be in its module's record already.
    retagged = INFO_ATTRIBUTE in getattr(obj, "__dict__", ())
    try:
        setattr(obj, INFO_ATTRIBUTE, info)
    except (AttributeError, TypeError) as exc:
        raise SpocError(
            f"cannot tag {obj!r} as a component: it does not accept attributes. "
            "Tag a class or a function defined in your module."
        ) from exc
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    if module is not None:
        # Recorded where it is defined, so collecting never scans the module; the site
        # is taken now because a class redefined under the same name hides the first.
        record = module.__dict__.setdefault(MODULE_RECORD, [])
        if not (retagged and any(existing is obj for existing, _ in record)):
            record.append((obj, _definition_site(module)))
    return obj


class Components:
    """A set of component types and the decorator that tags objects with them.

    Example:
        >>> components = Components("model")
        >>> components.add_type("command", {"async": False})
        >>> @components.register("model", config={"table": "posts"})
        ... class Post: ...
    """

    def __init__(self, *types: str) -> None:
        self._types: dict[str, dict[str, Any]] = {}
        for name in types:
            self.add_type(name)

    @property
    def types(self) -> tuple[str, ...]:
        """The component types this registry knows, in the order added."""
        return tuple(self._types)

    def add_type(self, name: str, default_meta: Mapping[str, Any] | None = None) -> None:
        """Add a component type, with metadata every component of it starts from."""
        if not isinstance(name, str) or not name:
            raise SpocError(f"a component type must be a non-empty string, got {name!r}")
        self._types[name] = dict(default_meta or {})

    @overload
    def register(
        self,
        type: str,
        obj: None = None,
        *,
        config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Callable[[T], T]: ...

    @overload
    def register(
        self,
        type: str,
        obj: T,
        *,
        config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> T: ...

    def register(
        self,
        type: str,
        obj: Any = None,
        *,
        config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tag ``obj`` as a component of ``type``; use as a decorator or call directly."""
        if type not in self._types:
            raise SpocError(
                f"unknown component type {type!r}{did_you_mean(type, self._types)}; "
                f"known types: {', '.join(self._types) or 'none'}. Add it first with add_type({type!r})."
            )
        info = ComponentInfo(
            type=type,
            metadata={**self._types[type], **(metadata or {}), "type": type},
            config=dict(config or {}),
        )
        if obj is None:
            return lambda target: _tag(target, info)
        return _tag(obj, info)

    def is_component(self, type: str, obj: object) -> bool:
        """Return whether ``obj`` is tagged as a component of ``type``."""
        info = get_info(obj)
        return info is not None and info.type == type

    @staticmethod
    def get_info(obj: object) -> ComponentInfo | None:
        """Return the component information of ``obj``, or ``None``."""
        return get_info(obj)

    @staticmethod
    def is_spoc(obj: object) -> bool:
        """Return whether ``obj`` is tagged as a component of any type."""
        return is_spoc(obj)


@overload
def component(obj: T, *, metadata: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None) -> T: ...


@overload
def component(
    obj: None = None, *, metadata: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None
) -> Callable[[T], T]: ...


def component(
    obj: Any = None, *, metadata: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None
) -> Any:
    """Tag a class or function as a component; ``@component`` or ``@component(...)``.

    ``metadata["type"]`` sets the component type (``"component"`` by default).
    """
    meta = dict(metadata or {})
    info = ComponentInfo(
        type=str(meta.get("type", DEFAULT_TYPE)), metadata={"type": DEFAULT_TYPE, **meta}, config=dict(config or {})
    )
    if obj is None:
        return lambda target: _tag(target, info)
    return _tag(obj, info)


def defined_components(module: ModuleType) -> list[tuple[Any, str]]:
    """Return the tagged objects defined in ``module`` with their ``file:line``, in definition order.

    Where a later decorator replaced a tagged object under the same name (a
    ``@dataclass(slots=True)`` over the tag), the module's final object is used.
    """
    namespace = module.__dict__
    found: list[tuple[Any, str]] = []
    for tagged, site in namespace.get(MODULE_RECORD, ()):
        current = namespace.get(getattr(tagged, "__name__", ""))
        replaced = current is not tagged and current is not None and get_info(current) is get_info(tagged)
        found.append((current if replaced else tagged, site))
    return found


class ComponentRegistry:
    """Components by module kind: ``registry.models["blog.Post"]``.

    Each kind reads as a read-only mapping of ``"app.Name"`` to the object.
    """

    def __init__(self) -> None:
        self._kinds: dict[str, dict[str, Any]] = {}
        # Per kind, like _kinds: where each component was defined, for error messages.
        self._sites: dict[str, dict[str, str]] = {}
        self._by_module: dict[str, tuple[str, list[str]]] = {}

    def add_kind(self, kind: str) -> None:
        """Make ``kind`` known, even before it has components."""
        self._kinds.setdefault(kind, {})
        self._sites.setdefault(kind, {})

    def _check_free(self, kind: str, name: str, obj: Any, site: str) -> None:
        existing = self._kinds.get(kind, {}).get(name)
        if existing is not None and existing is not obj:
            first = self._sites.get(kind, {}).get(name) or location_of(existing)
            raise DuplicateComponentError(kind, name, first, site)

    def add(self, kind: str, name: str, obj: Any, site: str | None = None) -> None:
        """Add one component; the same name twice in one kind is an error naming both."""
        site = site or location_of(obj)
        self._check_free(kind, name, obj, site)
        self.add_kind(kind)
        self._kinds[kind][name] = obj
        self._sites[kind][name] = site

    def collect(self, app: str, kind: str, module: ModuleType) -> list[str]:
        """Add every component defined in ``module``, all or none; return their names."""
        self.add_kind(kind)
        entries, sites = self._kinds[kind], self._sites[kind]
        found: dict[str, tuple[Any, str]] = {}
        prefix = app + "."
        for obj, site in defined_components(module):
            name = prefix + obj.__name__
            earlier = found.get(name)
            if earlier is not None and earlier[0] is not obj:
                raise DuplicateComponentError(kind, name, earlier[1], site)
            self._check_free(kind, name, obj, site)
            found[name] = (obj, site)
        for name, (obj, site) in found.items():
            entries[name] = obj
            sites[name] = site
        names = list(found)
        # Remembered per module, so that undoing one import costs its own components only.
        self._by_module[module.__name__] = (kind, names)
        return names

    def remove_module(self, kind: str, module: ModuleType) -> None:
        """Forget the components collected from ``module`` (undoing its import)."""
        collected_kind, names = self._by_module.pop(module.__name__, (kind, []))
        entries, sites = self._kinds.get(collected_kind, {}), self._sites.get(collected_kind, {})
        for name in names:
            entries.pop(name, None)
            sites.pop(name, None)

    def site(self, kind: str, name: str) -> str | None:
        """Return ``file:line`` where the component was defined, if known."""
        return self._sites.get(kind, {}).get(name)

    def get(self, kind: str, name: str) -> Any | None:
        """Return the component, or ``None`` when the kind or name is unknown."""
        entries = self._kinds.get(kind)
        return None if entries is None else entries.get(name)

    def kinds(self) -> list[str]:
        """The module kinds known, in the order they were first seen."""
        return list(self._kinds)

    def clear(self) -> None:
        """Forget everything (the framework shut down)."""
        self._kinds.clear()
        self._sites.clear()
        self._by_module.clear()

    def __getattr__(self, kind: str) -> Mapping[str, Any]:
        if kind.startswith("_"):
            raise AttributeError(kind)
        try:
            return MappingProxyType(self._kinds[kind])
        except KeyError:
            raise AttributeError(
                f"no components of kind {kind!r}{did_you_mean(kind, self._kinds)}; "
                f"known kinds: {', '.join(self._kinds) or 'none (has the framework started?)'}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds

    def __repr__(self) -> str:
        counts = ", ".join(f"{kind}={len(entries)}" for kind, entries in self._kinds.items())
        return f"ComponentRegistry({counts})"
