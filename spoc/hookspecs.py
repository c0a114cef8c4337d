"""Hook specifications: every extension point of SPOC's lifecycle.

Apps, app modules and plugins implement these with ``@spoc.hookimpl``. An
implementation may accept any subset of a specification's arguments.

The lifecycle hooks (``spoc_register_components``, ``spoc_startup`` and
``spoc_shutdown``) are called by SPOC one implementation at a time, first
registered first, so that a failure can be undone precisely;
``spoc_shutdown`` runs in the exact reverse order of ``spoc_startup``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spoc.markers import hookspec

# Called by SPOC one implementation at a time, first registered first, not by pluggy.
LIFECYCLE_HOOKS = ("spoc_register_components", "spoc_startup", "spoc_shutdown")

if TYPE_CHECKING:
    import argparse

    import pluggy

    from spoc.checks import Problem
    from spoc.framework import Framework
    from spoc.lifecycle import Step
    from spoc.workers.supervisor import Worker


@hookspec(historic=True)
def spoc_add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Add an app's or plugin's own hook specifications.

    Called for each plugin as soon as it is registered (a historic hook), so
    that the specs exist before the plugins that implement them are checked.
    Apps use it to talk to each other through hooks instead of imports.

    Args:
        plugin_manager: the framework's pluggy manager; call
            ``plugin_manager.add_hookspecs(module_or_class)``.
    """


@hookspec
def spoc_load_settings(framework: Framework) -> dict[str, Any] | None:
    """Contribute a typed settings section.

    Called once while the Framework is constructed, after every plugin and app
    package is registered.

    Args:
        framework: the framework being constructed.

    Returns:
        A mapping of section name to a pydantic model class, e.g.
        ``{"timing": TimingSettings}``, or ``None`` to contribute nothing.
    """


@hookspec
def spoc_register_components(framework: Framework) -> None:
    """Add component kinds or components.

    Called during startup once every app module is imported and its
    components collected, before ``spoc_startup``.

    Args:
        framework: the framework being started; ``framework.components``
            holds what was collected.
    """


@hookspec
def spoc_startup(framework: Framework) -> None:
    """Start what a plugin or app owns (connections, caches, servers).

    Called during startup after ``spoc_register_components``, one
    implementation at a time in registration order (``tryfirst``/``trylast``
    respected). If one raises, the ``spoc_shutdown`` of every implementation
    already started runs in reverse order and startup fails.

    Args:
        framework: the framework being started.
    """


@hookspec
def spoc_shutdown(framework: Framework) -> None:
    """Stop what ``spoc_startup`` started.

    Called during shutdown in the exact reverse order of ``spoc_startup``.
    Every implementation runs even when another fails; the failures are
    raised together at the end.

    Args:
        framework: the framework being stopped.
    """


@hookspec(firstresult=True)
def spoc_invoke(framework: Framework, component: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call a component: the middleware chain around ``fw.invoke``.

    ``wrapper=True`` implementations are the middleware (logging, timing,
    auth, transactions); SPOC's built-in implementation, registered
    ``trylast``, makes the call itself. Stops at the first non-None result.

    Args:
        framework: the running framework.
        component: the component object to call.
        args: positional arguments of the call.
        kwargs: keyword arguments of the call.

    Returns:
        The component's result.
    """


@hookspec(firstresult=True)
def spoc_run_step(framework: Framework, step: Step, undo: bool) -> Any:
    """Run one lifecycle step or its undo: the middleware chain of the lifecycle.

    Every step of startup (import a module, a Schema hook, ``initialize()``,
    each plugin's ``spoc_register_components`` and ``spoc_startup``) and every
    undo step of shutdown goes through this hook. ``wrapper=True``
    implementations see each one, e.g. to time or log them; SPOC's built-in
    implementation, registered ``trylast``, runs the step. Stops at the first
    non-None result.

    Args:
        framework: the framework starting or stopping.
        step: the step; ``step.kind`` (``import``, ``schema_hook``,
            ``initialize``, ``spoc_register_components``, ``spoc_startup``,
            ``spoc_register_workers``, ``worker``, ``prepare``),
            ``step.target`` (``blog.models``, a plugin or a worker name)
            and ``step.label`` say what it is.
        undo: ``False`` to run the step, ``True`` to run its undo action.

    Returns:
        What the step returned (an awaitable under ``astartup()``).
    """


@hookspec
def spoc_check(framework: Framework) -> list[Problem | str] | None:
    """Report problems of a project, for ``python -m spoc check``.

    Called by ``check`` once the dry run has started the project (every
    module imported, every ``spoc_startup`` done), before it is stopped again;
    never by a plain ``startup()``. Each implementation is called on its own,
    so one that raises is reported as a problem and the others still run.

    Args:
        framework: the started framework, with its components and settings.

    Returns:
        A list of ``spoc.checks.Problem`` (with an ``id`` such as
        ``"blog.E001"`` and a ``hint``), or plain strings (reported under the
        plugin's name); ``None`` or an empty list when all is well.
    """


@hookspec
def spoc_add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add commands to ``python -m spoc``.

    Called while the command line is built, for installed (entry-point) and
    ``-p NAME`` plugins, only when the command asked for is not a built-in one
    (or for ``--help``), so a broken plugin command never stops ``check``.

    Args:
        subparsers: the command line's sub-parsers; call
            ``subparsers.add_parser(name, help=...)`` and give the parser
            ``set_defaults(run=function)``, where ``function(args, context)``
            returns the exit status and ``context.framework()`` builds the
            project's Framework.
    """


@hookspec
def spoc_register_workers(framework: Framework) -> list[Any] | None:
    """Contribute workers from a plugin.

    Called during startup, one implementation at a time, after every
    ``spoc_startup``; the workers returned start right after, with the
    ``@spoc.worker`` components of the apps' modules.

    Args:
        framework: the framework being started.

    Returns:
        A list of workers: functions or classes, plain (a thread worker with
        the default options) or declared with ``spoc.worker(obj, every=...)``;
        a worker's name defaults to ``<plugin name>.<function name>``.
    """


@hookspec
def spoc_after_worker_started(framework: Framework, worker: Worker) -> None:
    """Observe a worker that has started: its ``setup`` is done and its ``main`` begins.

    Called on the worker's own thread (for a process worker, on the thread
    that watches its process), once per run, so again after each restart.
    Startup waits for this call (up to the worker's ``start_timeout``).

    Args:
        framework: the running framework.
        worker: the worker; ``worker.name``, ``worker.kind``, ``worker.restarts``.
    """


@hookspec
def spoc_after_worker_stopped(framework: Framework, worker: Worker) -> None:
    """Observe a worker whose run has ended, cleanly or not.

    Called on the worker's thread at the end of every run, also when its
    ``setup`` or ``teardown`` failed, before any restart; shutdown waits for
    it (up to the worker's ``stop_timeout``).

    Args:
        framework: the running framework.
        worker: the worker; ``worker.state`` says how it ended.
    """


@hookspec
def spoc_on_worker_error(framework: Framework, worker: Worker, error: BaseException) -> None:
    """Observe a worker's failure: its ``setup``, ``main``, ``teardown`` (or a periodic run) raised.

    Called on the worker's thread after the failure is logged with the
    worker's name and traceback; also called with a ``WorkerTimeoutError``
    when the worker does not stop in time. The application goes on: the
    restart policy decides what happens to the worker.

    Args:
        framework: the running framework.
        worker: the worker that failed.
        error: the exception; for a process worker a ``WorkerError`` whose
            ``remote_traceback`` is the traceback from its process.
    """
