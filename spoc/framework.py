"""The Framework: reads a project, then starts and stops it safely.

Construction reads the settings, orders the modules (finding cycles), loads
the plugins and the app packages and registers them, then asks plugins for
their settings sections; it imports no Schema module and starts nothing.
``startup()`` runs every step with an undo stack so that a failure, or
``shutdown()``, undoes exactly what was done, in reverse.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

import pluggy

from spoc.components import ComponentRegistry
from spoc.errors import AsyncHookError, ConfigError, NotStartedError, SpocError, did_you_mean
from spoc.hookspecs import LIFECYCLE_HOOKS
from spoc.lifecycle import LifecycleLock, Step, UndoStack, paused_gc, run_steps, run_steps_async, shutdown_error
from spoc.loader import APPS_PACKAGE, AppLoader
from spoc.plugins.host import PluginHost, PluginRecord, impl_location
from spoc.plugins.registration import load_installed_plugins, register_plugins
from spoc.plugins.tracing import install_tracing, tracing_requested
from spoc.resolver import ModuleNode, import_order
from spoc.schema import Hook, Schema
from spoc.settings.listing import log_settings
from spoc.settings.loading import load_settings
from spoc.settings.project import Project
from spoc.settings.sections import load_sections
from spoc.settings.sources import Overrides, ProjectSources
from spoc.tracebacks import hidden_frames, hidden_frames_async
from spoc.workers.planning import worker_steps

if TYPE_CHECKING:
    from spoc.settings.model import Settings
    from spoc.workers.runner import Runner
    from spoc.workers.supervisor import Worker

__all__ = ["Framework", "Hook", "Schema"]

logger = logging.getLogger("spoc")

_LOOSE_ALIASES = {"strict": True, "loose": False}


class Framework:
    """A SPOC application: its configuration, apps, plugins and lifecycle.

    Args:
        base_dir: the project folder (``str`` or ``Path``).
        schema: the module kinds; defaults to ``[spoc.schema]`` of spoc.toml.
        strict: a missing Schema module is an error (``True``) or skipped.
        settings: the strongest settings source, e.g. ``{"mode": "production"}``.
        disable_plugins: entry-point plugin names never to load (added to
            ``disable_plugins`` of spoc.toml).
        plugins: more plugins, registered after the configured ones: objects
            (modules, instances), or names: an entry point's name loads it even
            when autoload is off, a dotted path imports it (``-p NAME``).
        mode: upstream's alias of ``strict``: ``"strict"`` or ``"loose"``.
        echo: print each lifecycle step as it runs (``import``, ``init``,
            ``start``; at shutdown ``stop``, ``teardown``, ``unload``), as
            upstream SPOC 0.3 did.
    """

    @hidden_frames
    def __init__(
        self,
        base_dir: str | Path,
        schema: Schema | None = None,
        *,
        strict: bool = True,
        settings: Mapping[str, Any] | None = None,
        disable_plugins: Sequence[str] = (),
        plugins: Sequence[Any] = (),
        mode: str | None = None,
        echo: bool = False,
    ) -> None:
        if mode is not None:
            if mode not in _LOOSE_ALIASES:
                raise ConfigError(
                    f"Framework(mode={mode!r}) is not valid{did_you_mean(mode, _LOOSE_ALIASES)}: use "
                    "'strict' or 'loose' (or strict=True/False). The application mode is "
                    "settings={'mode': ...}."
                )
            strict = _LOOSE_ALIASES[mode]
        self.base_dir = Path(base_dir).resolve()
        self.strict = strict
        # 1. Settings: every source read once, validated by the project's settings class.
        label = settings.label if isinstance(settings, Overrides) else "Framework(settings=...)"
        self._sources = ProjectSources.read(self.base_dir, settings, label=label)
        self.settings: Settings = load_settings(self._sources)
        self.project = Project.from_settings(self.settings, self._sources)
        """What the configuration decided: mode, cascade, apps (with where each is listed), plugin selection."""
        self.installed_apps: list[str] = self.project.app_names
        # 2. Order: a cycle is reported before anything is imported.
        self.schema = schema if schema is not None else Schema.from_table(self.project.schema, self._sources.origin_of)
        where = "Schema(dependencies=...) in code" if schema is not None else self.project.schema_origin()
        self._nodes: list[ModuleNode] = import_order(self.schema, self.installed_apps, where)
        self._loader = AppLoader(self.base_dir)
        self._loader.check_apps(self.project.apps)
        # 3. Plugins: installed ones before the project's folder is importable, then the app packages.
        self._host = PluginHost()
        self.hook: pluggy.HookRelay = self._host.hook
        """The pluggy hook relay, e.g. ``fw.hook.my_app_event(framework=fw)``."""
        self._invoke = self.hook.spoc_invoke  # pluggy's caller of the fw.invoke chain: looked up once
        if tracing_requested():
            install_tracing(self._host.manager)
        installed = load_installed_plugins(self._host, self.project, disable_plugins=disable_plugins, plugins=plugins)
        apps = self._loader.import_apps(self.installed_apps)
        self.plugins: dict[str, dict[str, Any]] = register_plugins(
            self._host, self.project, installed, apps, plugins=plugins
        )
        if echo:
            from spoc.plugins.echo import LifecycleEcho

            self._host.register(LifecycleEcho(), "spoc.echo", "builtin")
        # 4. Sections: plugins may read the settings while declaring theirs.
        self.settings._sections = load_sections(self._host, self, self._sources, self.settings)
        log_settings(self.settings, self._sources)
        # The lifecycle's state, empty until startup.
        self._components = ComponentRegistry()
        self._reset_components()
        self._lock = LifecycleLock()
        self._attempted = False
        self.modules: dict[str, ModuleType] = {}
        # Every step runs through the spoc_run_step hook, so wrappers see each one.
        self._stack = UndoStack(self._run_step)
        self._started = False
        self._workers: list[Worker] = []
        self._runner: Runner | None = None
        self._stop_lock = threading.Lock()
        self._stop_pending = False

    # -- public state ------------------------------------------------------

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy manager of this framework (add hookspecs, register plugins)."""
        return self._host.manager

    @property
    def plugin_host(self) -> PluginHost:
        """SPOC's side of the plugin manager: its records, and the calls of one implementation at a time."""
        return self._host

    @property
    def plugin_records(self) -> list[PluginRecord]:
        """Every plugin SPOC knows: registered ones in registration order, then blocked or failed ones."""
        return self._host.all_records()

    @property
    def components(self) -> ComponentRegistry:
        """The collected components by module kind: ``fw.components.models["blog.Post"]``.

        Raises:
            NotStartedError: ``startup()`` was never called; components are collected by it.
        """
        self._require_started("fw.components")
        return self._components

    @property
    def started(self) -> bool:
        """Whether startup completed and shutdown has not run since."""
        return self._started

    @property
    def workers(self) -> list[Worker]:
        """The running workers, in start order; empty when not started (see docs/workers.md)."""
        return list(self._workers)

    def run(self) -> None:
        """Start, block until SIGINT/SIGTERM (main thread) or :meth:`request_stop`, then shut down."""
        from spoc.workers.runner import Runner

        with self._stop_lock:
            runner = self._runner = Runner(self)
            if self._stop_pending:
                self._stop_pending = False
                runner.request_stop("stop requested before run() began")
        try:
            runner.run()
        finally:
            with self._stop_lock:
                self._runner = None

    def request_stop(self) -> None:
        """Make a blocking :meth:`run` shut down and return; safe from any thread.

        Asked before ``run()`` has begun (a thread that starts it has not got
        there yet), the next ``run()`` returns as soon as it has started.
        """
        with self._stop_lock:
            if self._runner is not None:
                self._runner.request_stop()
            else:
                self._stop_pending = True

    @property
    def import_order(self) -> list[str]:
        """Every ``app.module`` node in the order startup imports them."""
        return [node.label for node in self._nodes]

    def setting_origin(self, key: str) -> str | None:
        """Say where the value in force of a setting was set, for messages that tell the user what to change.

        Args:
            key: a dotted key below ``[spoc]``: ``"debug"``, ``"celery.broker_url"``.

        Returns:
            ``"config/spoc.toml:12"``, ``"SPOC_CELERY__BROKER_URL"``, ``".env:3"``,
            ``"Framework(settings=...)"``..., or ``None`` when the value is the default.
        """
        origin = self.project.sources.origin_of(tuple(key.removeprefix("spoc.").split(".")))
        return None if origin is None else origin.location(self.base_dir)

    def lifecycle_call_order(self, hook_name: str) -> list[pluggy.HookImpl]:
        """Return the non-wrapper implementations of a lifecycle hook in the order SPOC calls them.

        ``spoc_register_components`` and ``spoc_startup``: first registered
        first, ``tryfirst``/``trylast`` respected; ``spoc_shutdown``: the exact
        reverse of ``spoc_startup``.
        """
        return self._host.lifecycle_call_order(hook_name)

    def import_modules(self) -> dict[str, ModuleType]:
        """Import every app's Schema modules in import order, and start nothing.

        For a process that needs the project's code but not the running
        application: a task worker's main process learns its task names this
        way, and the processes it forks start the application themselves. No
        hook, Schema hook or ``initialize()`` runs, no component is collected;
        a later :meth:`startup` finds the modules imported and does the rest.

        Returns:
            ``{"blog.models": module}`` in import order (missing modules left
            out when ``strict=False``).

        Raises:
            ModuleMissingError: a module is missing and ``strict`` is true.
            AppImportError: a module raised while being imported.
        """
        self._loader.bind()
        imported: dict[str, ModuleType] = {}
        for node in self._nodes:
            module = self._loader.import_module(node.app, node.kind, strict=self.strict)
            if module is not None:
                imported[node.label] = module
        return imported

    def get_component(self, kind: str, name: str) -> Any | None:
        """Return the component ``name`` (``"app.Name"``) of module kind ``kind``, or ``None``.

        Raises:
            NotStartedError: ``startup()`` was never called; components are collected by it.
        """
        self._require_started(f"fw.get_component({kind!r}, {name!r})")
        return self._components.get(kind, name)

    def _require_started(self, what: str) -> None:
        # Before the first startup nothing was ever collected: reading then is a mistake (upstream SPOC 0.3
        # started in the constructor). After a shutdown, the registry is there, emptied.
        if not self._attempted:
            raise NotStartedError(
                f"{what}: the framework was never started, so no component is collected. Call fw.startup() "
                "first (or use `with Framework(...) as fw:`); constructing a Framework starts nothing."
            )

    def invoke(self, kind: str, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call a component through the ``spoc_invoke`` middleware chain."""
        component = self._components.get(kind, name)
        if component is None:
            self._require_started(f"fw.invoke({kind!r}, {name!r})")
            known = list(getattr(self._components, kind, {})) if kind in self._components else []
            raise SpocError(
                f"no component {name!r} of kind {kind!r} to invoke{did_you_mean(name, known)}; "
                f"known: {', '.join(known) or 'none'}. Is the framework started?"
            )
        return self._invoke(framework=self, component=component, args=args, kwargs=kwargs)

    # -- lifecycle ---------------------------------------------------------

    @hidden_frames
    def startup(self) -> Framework:
        """Import, collect and start everything; a no-op when already started.

        Raises:
            AsyncHookError: an ``async def`` implementation needs ``astartup()``.
            SpocError: a step failed; every step already done was undone.
        """
        with self._lock.held("startup()"):
            if self._started:
                return self
            self._refuse_async()
            self._attempted = True
            self._loader.bind()
            with paused_gc(self.settings.pause_gc):
                run_steps(self._startup_steps(), self._stack)
            self._started = True
        logger.info("started %d module(s) of %d app(s)", len(self.modules), len(self.installed_apps))
        return self

    def shutdown(self) -> Framework:
        """Undo every startup step in reverse; a no-op when not started.

        Raises:
            ShutdownError: an ExceptionGroup of every step that failed; the others ran.
        """
        with self._lock.held("shutdown()"):
            if not self._started:
                return self
            try:
                errors = self._stack.unwind()
            finally:
                self._finish_shutdown()
        if errors:
            raise shutdown_error(errors)
        return self

    @hidden_frames_async
    async def astartup(self) -> Framework:
        """Like :meth:`startup`, awaiting ``async def`` implementations."""
        async with self._lock.aheld("astartup()"):
            if self._started:
                return self
            self._attempted = True
            self._loader.bind()
            with paused_gc(self.settings.pause_gc):
                await run_steps_async(self._startup_steps(), self._stack)
            self._started = True
        logger.info("started %d module(s) of %d app(s)", len(self.modules), len(self.installed_apps))
        return self

    async def ashutdown(self) -> Framework:
        """Like :meth:`shutdown`, awaiting ``async def`` implementations."""
        async with self._lock.aheld("ashutdown()"):
            if not self._started:
                return self
            try:
                errors = await self._stack.aunwind()
            finally:
                self._finish_shutdown()
        if errors:
            raise shutdown_error(errors)
        return self

    @hidden_frames
    def __enter__(self) -> Framework:
        return self.startup()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()

    @hidden_frames_async
    async def __aenter__(self) -> Framework:
        return await self.astartup()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.ashutdown()

    def _run_step(self, step: Step, undo: bool) -> Any:
        return self.hook.spoc_run_step(framework=self, step=step, undo=undo)

    def _reset_components(self) -> None:
        self._components.clear()
        for kind in self.schema.modules:
            self._components.add_kind(kind)

    def _finish_shutdown(self) -> None:
        self._started = False
        self.modules.clear()
        logger.info("shut down")

    def _refuse_async(self) -> None:
        """Find ``async def`` lifecycle code known before startup, before doing anything."""
        for hook_name in LIFECYCLE_HOOKS:
            for impl in self._host.ordered_impls(hook_name):
                if inspect.iscoroutinefunction(impl.function):
                    raise AsyncHookError(f"{hook_name} of plugin {impl.plugin_name!r}", impl_location(impl.function))
        for kind, hook in self.schema.hooks.items():
            for when, function in hook.items():
                if inspect.iscoroutinefunction(function):
                    raise AsyncHookError(f"the Schema {when} hook of {kind!r}", impl_location(function))

    def _startup_steps(self) -> Iterator[Step]:
        """Yield every startup step in order; later steps see what earlier ones did."""
        # Undone last: whatever hooks added to the registry goes with the rest.
        yield Step(
            "prepare the component registry",
            _nothing,
            self._reset_components,
            "clear the component registry",
            "prepare",
        )
        load, unload = self._load_module, self._unload_module
        for node in self._nodes:
            yield Step(
                f"import {node.label}",
                partial(load, node),
                partial(unload, node),
                f"unload {node.label}",
                "import",
                node.label,
                undo_anytime=True,  # unloading forgets only what the import left
            )
            module = self.modules.get(node.label)
            if module is None:
                continue
            if self.schema.hooks.get(node.kind):
                yield self._schema_hook_step(node, module)
            initialize = getattr(module, "initialize", None)
            teardown = getattr(module, "teardown", None)
            if callable(initialize) or callable(teardown):
                yield Step(
                    f"{node.label}.initialize()",
                    initialize if callable(initialize) else _nothing,
                    teardown if callable(teardown) else None,
                    f"{node.label}.teardown()",
                    "initialize",
                    node.label,
                )
        for impl in self._host.ordered_impls("spoc_register_components"):
            yield Step(
                f"spoc_register_components of {self._host.describe_impl(impl)}",
                partial(self._host.call_one, "spoc_register_components", impl, framework=self),
                kind="spoc_register_components",
                target=impl.plugin_name,
            )
        yield from self._lifecycle_hook_steps()
        # Last: workers start after every spoc_startup, so they stop before any spoc_shutdown.
        yield from worker_steps(self, self._host, self._workers)

    def _schema_hook_step(self, node: ModuleNode, module: ModuleType) -> Step:
        start = self.schema.hook(node.kind, "startup")
        stop = self.schema.hook(node.kind, "shutdown")
        return Step(
            f"Schema startup hook of {node.label}",
            partial(start, module) if start else _nothing,
            partial(stop, module) if stop else None,
            f"Schema shutdown hook of {node.label}",
            "schema_hook",
            node.label,
        )

    def _lifecycle_hook_steps(self) -> Iterator[Step]:
        """Yield one step per plugin: its spoc_startup, undone by its spoc_shutdown."""
        for name, start, stop in self._host.lifecycle_pairs():
            yield Step(
                f"spoc_startup of {self._host.describe_impl(start)}" if start else f"start {name}",
                partial(self._host.call_one, "spoc_startup", start, framework=self) if start else _nothing,
                partial(self._host.call_one, "spoc_shutdown", stop, framework=self) if stop else None,
                f"spoc_shutdown of {self._host.describe_impl(stop)}" if stop else "",
                "spoc_startup",
                name,
            )

    def _load_module(self, node: ModuleNode) -> None:
        module = self._loader.import_module(node.app, node.kind, strict=self.strict)
        if module is None:
            return
        name = f"{APPS_PACKAGE}.{node.app}.{node.kind}"
        try:
            if self._host.holds_hookimpls(module):
                self._host.register(module, name, "module")
                self._host.check_unknown_hooks([name])
            self._components.collect(node.app, node.kind, module)
        except SpocError:
            self._host.unregister(name)
            self._loader.forget(node.app, node.kind)
            raise
        self.modules[node.label] = module

    def _unload_module(self, node: ModuleNode) -> None:
        module = self.modules.pop(node.label, None)
        if module is None:
            return
        self._host.unregister(f"{APPS_PACKAGE}.{node.app}.{node.kind}")
        self._components.remove_module(node.kind, module)
        self._loader.forget(node.app, node.kind)

    def __repr__(self) -> str:
        state = "started" if self._started else "stopped"
        return f"<Framework {self.base_dir} mode={self.settings.mode!r} apps={self.installed_apps!r} {state}>"


def _nothing() -> None:
    """A step with nothing to do, kept so that its undo runs in the right place."""
