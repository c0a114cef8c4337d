"""The pluggy plugin manager, SPOC's way: registration records, validation, order.

Everything here uses pluggy's public API only (``get_hookimpls``,
``subset_hook_caller``, ``get_hookcallers``, ``parse_hookimpl_opts``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FunctionType, ModuleType, SimpleNamespace
from typing import Any

import pluggy

from spoc import hookspecs
from spoc.errors import HookValidationError, PluginHookError, SpocError, did_you_mean
from spoc.markers import PROJECT_NAME

__all__ = ["PluginHost", "PluginRecord", "impl_location"]


@dataclass
class PluginRecord:
    """What SPOC knows of one registered plugin.

    Attributes:
        name: the plugin's name with pluggy.
        source: builtin, entrypoint, configured, app or module.
        plugin: the registered object (a module, class instance...), or
            ``None`` when it was never loaded.
        distribution: the distribution that ships it, if known.
        version: that distribution's version, if known.
        hooks: the hooks it implements.
        status: ``active``, ``blocked`` (never imported) or ``failed``.
        error: why it failed, for ``failed``.
        cause: the exception it failed with, for ``failed`` (its traceback, for ``--traceback``).
    """

    name: str
    source: str
    plugin: Any
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    status: str = "active"
    error: str | None = None
    cause: BaseException | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        """Return ``plugin 'x' (dist 1.2.0)`` for messages."""
        dist = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"{self.source} plugin {self.name!r}{dist}"


def impl_location(function: Callable[..., Any]) -> str:
    """Return ``file:line`` of a hook implementation."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None:
        return repr(function)
    return f"{code.co_filename}:{code.co_firstlineno}"


class PluginHost:
    """One pluggy manager per framework, with records of what was registered in what order."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.unloaded: dict[str, PluginRecord] = {}
        # Every plugin registered later is asked for its own hookspecs first.
        self.manager.hook.spoc_add_hookspecs.call_historic(kwargs={"plugin_manager": self.manager})

    @property
    def hook(self) -> pluggy.HookRelay:
        """The pluggy hook relay: ``host.hook.spoc_startup(framework=fw)``."""
        return self.manager.hook

    def all_records(self) -> list[PluginRecord]:
        """Every plugin: registered ones in registration order, then blocked or failed ones."""
        return [*self.records.values(), *self.unloaded.values()]

    def register_record(self, record: PluginRecord) -> PluginRecord:
        """Register the plugin a record describes (see :meth:`register`)."""
        return self.register(
            record.plugin, record.name, record.source, distribution=record.distribution, version=record.version
        )

    def register(
        self, plugin: Any, name: str, source: str, *, distribution: str | None = None, version: str | None = None
    ) -> PluginRecord:
        """Validate and register ``plugin``; return its record.

        Raises:
            HookValidationError: an implementation takes an argument its spec lacks.
            SpocError: the name is taken.
        """
        record = PluginRecord(name, source, plugin, distribution, version)
        if self.manager.has_plugin(name) or name in self.records:
            raise SpocError(f"cannot register {record.describe()}: a plugin of that name is already registered")
        self._check_arguments(record)
        try:
            self.manager.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            # The new plugin's spoc_add_hookspecs added a spec that an earlier plugin does not fit.
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            offender = next((r for r in self.records.values() if r.plugin is exc.plugin), record)
            try:
                self._check_arguments(offender)
            except HookValidationError as precise:
                raise precise from exc
            # A rule SPOC does not check itself: pluggy's message names the hook and the definition.
            raise HookValidationError(
                f"{offender.describe()} is refused by pluggy: {exc}. Change that implementation as pluggy says.",
                plugin=offender.name,
                hook="unknown",
                location="unknown",
            ) from exc
        except Exception as exc:
            # pluggy calls a historic hook (spoc_add_hookspecs) for a plugin as it registers it.
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            function = getattr(plugin, "spoc_add_hookspecs", None)
            location = impl_location(function) if callable(function) else "unknown"
            raise PluginHookError(
                name,
                "spoc_add_hookspecs",
                location,
                exc,
                distribution=distribution,
                version=version,
                source=source,
            ) from exc
        record.hooks = sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or ())
        self.records[name] = record
        return record

    def holds_hookimpls(self, plugin: Any) -> bool:
        """Return whether ``plugin`` has at least one ``@spoc.hookimpl`` attribute."""
        holder, names = self._candidates(plugin)
        return any(self.manager.parse_hookimpl_opts(holder, name) is not None for name in names)

    def record_unloaded(self, record: PluginRecord) -> None:
        """Remember a plugin that was blocked or failed, for listings; block its name."""
        self.unloaded[record.name] = record
        if record.status == "blocked":
            self.manager.set_blocked(record.name)

    def unregister(self, name: str) -> None:
        """Remove a plugin registered by :meth:`register`."""
        record = self.records.pop(name, None)
        if record is not None and self.manager.is_registered(record.plugin):
            self.manager.unregister(record.plugin)

    @staticmethod
    def _candidates(plugin: Any) -> tuple[Any, list[str]]:
        """Return what to ask pluggy about, and the names that may hold a hook implementation.

        In a module, only its functions can be: they are handed to pluggy in a
        plain namespace, which pluggy reads several times faster than a module
        (every app module is asked at startup; docs/performance.md).
        """
        if isinstance(plugin, ModuleType):
            functions = {name: value for name, value in vars(plugin).items() if isinstance(value, FunctionType)}
            return SimpleNamespace(**functions), list(functions)
        return plugin, dir(plugin)

    def _impl_functions(self, plugin: Any) -> Iterable[tuple[str, Callable[..., Any], pluggy.HookimplOpts]]:
        holder, names = self._candidates(plugin)
        for attribute in names:
            opts = self.manager.parse_hookimpl_opts(holder, attribute)
            if opts is not None:
                yield opts.get("specname") or attribute, getattr(plugin, attribute), opts

    def _spec_names(self) -> list[str]:
        return [name for name in vars(self.manager.hook) if getattr(self.manager.hook, name).has_spec()]

    def _check_arguments(self, record: PluginRecord) -> None:
        for hook_name, function, opts in self._impl_functions(record.plugin):
            if (opts.get("wrapper") or opts.get("hookwrapper")) and not inspect.isgeneratorfunction(function):
                raise HookValidationError(
                    f"{record.describe()}: {hook_name} at {impl_location(function)} is marked as a wrapper but "
                    "is not a generator function. A wrapper yields once, where the wrapped implementations run "
                    "(`result = yield`); add the yield, or drop wrapper=True.",
                    plugin=record.name,
                    hook=hook_name,
                    location=impl_location(function),
                )
            caller = getattr(self.manager.hook, hook_name, None)
            if caller is None or caller.spec is None:
                continue
            accepted = set(caller.spec.argnames)
            parameters = inspect.signature(function).parameters.values()
            extra = [
                p.name
                for p in parameters
                if p.default is p.empty and p.name not in accepted and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if extra:
                raise HookValidationError(
                    f"{record.describe()}: {hook_name} at {impl_location(function)} takes "
                    f"{', '.join(repr(a) for a in extra)}, which the hook does not provide. "
                    f"The spec is {hook_name}({', '.join(caller.spec.argnames)}); accept any of those.",
                    plugin=record.name,
                    hook=hook_name,
                    location=impl_location(function),
                )

    def check_unknown_hooks(self, names: Iterable[str] | None = None) -> None:
        """Raise for an implementation of a hook no spec declares (unless ``optionalhook``)."""
        spec_names = self._spec_names()
        for name in list(names) if names is not None else list(self.records):
            record = self.records[name]
            for hook_name, function, opts in self._impl_functions(record.plugin):
                if opts.get("optionalhook") or hook_name in spec_names:
                    continue
                location = impl_location(function)
                raise HookValidationError(
                    f"{record.describe()}: {hook_name} at {location} implements an unknown hook"
                    f"{did_you_mean(hook_name, spec_names)}. Fix the name, or mark it "
                    "@spoc.hookimpl(optionalhook=True) if its spec comes from a plugin that may be absent.",
                    plugin=name,
                    hook=hook_name,
                    location=location,
                )

    def ordered_impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        """Return the non-wrapper implementations of a hook in SPOC's lifecycle order.

        First registered first, with ``tryfirst`` ones before and ``trylast``
        ones after the rest. pluggy keeps trylast implementations in reverse
        registration order and calls the others last-registered first; this
        reads its public list back into registration order.
        """
        caller = getattr(self.manager.hook, hook_name)
        plain = [impl for impl in caller.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)]
        first = [impl for impl in plain if impl.tryfirst]
        normal = [impl for impl in plain if not impl.tryfirst and not impl.trylast]
        last = [impl for impl in plain if impl.trylast]
        return first + normal + last[::-1]

    def call_one(self, hook_name: str, impl: pluggy.HookImpl, **kwargs: Any) -> Any:
        """Call one implementation of a hook, inside every wrapper of that hook."""
        caller = getattr(self.manager.hook, hook_name)
        others = [
            other.plugin
            for other in caller.get_hookimpls()
            if other is not impl and not (other.wrapper or other.hookwrapper)
        ]
        results = self.manager.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
        return results[0] if results else None

    def call_plugin(self, hook_name: str, impl: pluggy.HookImpl, **kwargs: Any) -> Any:
        """Call one implementation, as :meth:`call_one`, outside the lifecycle: construction, inspection.

        Raises:
            PluginHookError: the implementation raised; it names the plugin, its
                distribution and version, the hook and where it is, and chains the cause.
        """
        try:
            return self.call_one(hook_name, impl, **kwargs)
        except SpocError:
            raise
        except Exception as exc:
            raise self.hook_error(impl.plugin_name, hook_name, impl_location(impl.function), exc) from exc

    def hook_error(self, plugin: str, hook_name: str, location: str, cause: BaseException) -> PluginHookError:
        """Return the error of a plugin's hook that raised, with what SPOC knows of the plugin."""
        record = self.records.get(plugin)
        return PluginHookError(
            plugin,
            hook_name,
            location,
            cause,
            distribution=record.distribution if record else None,
            version=record.version if record else None,
            source=record.source if record else "",
        )

    def describe_impl(self, impl: pluggy.HookImpl) -> str:
        """Return ``plugin 'x' (dist 1.0) at file:line`` for one implementation."""
        record = self.records.get(impl.plugin_name)
        who = record.describe() if record else f"plugin {impl.plugin_name!r}"
        return f"{who} at {impl_location(impl.function)}"

    def lifecycle_call_order(self, hook_name: str) -> list[pluggy.HookImpl]:
        """Return the non-wrapper implementations of a lifecycle hook in the order SPOC calls them.

        ``spoc_register_components`` and ``spoc_startup``: first registered
        first, ``tryfirst``/``trylast`` respected; ``spoc_shutdown``: the exact
        reverse of ``spoc_startup``.

        Raises:
            SpocError: ``hook_name`` is not a lifecycle hook.
        """
        if hook_name not in hookspecs.LIFECYCLE_HOOKS:
            raise SpocError(
                f"{hook_name!r} is not a lifecycle hook; lifecycle hooks: {', '.join(hookspecs.LIFECYCLE_HOOKS)}"
            )
        if hook_name == "spoc_register_components":
            return self.ordered_impls(hook_name)
        pairs = self.lifecycle_pairs()
        if hook_name == "spoc_startup":
            return [start for _, start, _ in pairs if start is not None]
        return [stop for _, _, stop in reversed(pairs) if stop is not None]

    def lifecycle_pairs(self) -> list[tuple[str, pluggy.HookImpl | None, pluggy.HookImpl | None]]:
        """Return ``(plugin, spoc_startup impl, spoc_shutdown impl)`` in startup order.

        Pairing each plugin's two implementations is what makes shutdown the
        exact mirror of startup. A plugin with only ``spoc_shutdown`` takes the
        place its marker means at shutdown: ``tryfirst`` stops it early, so it
        goes last at startup.
        """
        starts = {impl.plugin_name: impl for impl in self.ordered_impls("spoc_startup")}
        stops = {impl.plugin_name: impl for impl in self.ordered_impls("spoc_shutdown")}
        # Registered through SPOC first, in order; then any registered on the manager directly.
        registered = {name: index for index, name in enumerate(self.records)}

        def position(name: str) -> tuple[int, int]:
            impl = starts.get(name)
            if impl is not None:
                group = 0 if impl.tryfirst else 2 if impl.trylast else 1
            else:
                stop = stops[name]
                group = 2 if stop.tryfirst else 0 if stop.trylast else 1
            return group, registered.get(name, len(registered))

        return [(name, starts.get(name), stops.get(name)) for name in sorted({*starts, *stops}, key=position)]
