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

if TYPE_CHECKING:
    import pluggy

    from spoc.framework import Framework
    from spoc.lifecycle import Step


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
            ``prepare``), ``step.target`` (``blog.models`` or a plugin name)
            and ``step.label`` say what it is.
        undo: ``False`` to run the step, ``True`` to run its undo action.

    Returns:
        What the step returned (an awaitable under ``astartup()``).
    """
