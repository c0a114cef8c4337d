"""The plugin: the ``[spoc.celery]`` section, the binding of a started application, the ``celery`` command.

The entry point names the class, so each Framework gets its own instance.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

import spoc

from spoc_celery import binding as bindings
from spoc_celery.tasks import SpocTask

if TYPE_CHECKING:
    from spoc.framework import Framework

    from spoc_celery.settings import CelerySettings

__all__ = ["SECTION", "CeleryPlugin", "find_plugin"]

SECTION: Final = "celery"


class CeleryPlugin:
    """Bind the project's tasks to Celery while the application runs; add ``python -m spoc celery``.

    Attributes:
        binding: the running application's tasks and Celery app, or ``None``
            when it is not started (and not prepared by a worker).
    """

    def __init__(self) -> None:
        self.binding: bindings.Binding | None = None
        # Whether spoc_startup pushed the binding (and so spoc_shutdown removes it),
        # rather than a worker's main process before forking its task processes.
        self._started_here = False

    @spoc.hookimpl
    def spoc_load_settings(self) -> dict[str, Any]:
        """Declare ``[spoc.celery]``."""
        from spoc_celery.settings import CelerySettings

        return {SECTION: CelerySettings}

    # tryfirst: the apps' own spoc_startup may send tasks already.
    @spoc.hookimpl(tryfirst=True)
    def spoc_startup(self, framework: Framework) -> None:
        """Make the started application's tasks usable: bind them to its settings (no Celery import yet)."""
        if self.binding is not None and self.binding.framework is framework:
            return  # a worker's task process: its main process bound every task before forking
        self.binding = bindings.Binding(framework, settings(framework), bindings.tasks_of(framework))
        self._started_here = True
        bindings.push(self.binding)

    @spoc.hookimpl(trylast=True)
    def spoc_shutdown(self, framework: Framework) -> None:
        """Unbind the tasks and close the Celery app's connections; a task sent after this is an error."""
        if not self._started_here or self.binding is None:
            return
        done, self.binding, self._started_here = self.binding, None, False
        bindings.remove(done)
        done.close()

    @spoc.hookimpl
    def spoc_add_commands(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add ``python -m spoc celery worker|beat [celery options]``."""
        from spoc_celery.commands import add_commands

        add_commands(subparsers)

    def prepare(self, framework: Framework, tasks: Iterable[SpocTask[Any, Any]]) -> bindings.Binding:
        """Bind ``tasks`` before the application starts: a worker's or beat's main process does.

        The binding is current at once and stays so in the processes forked
        afterwards; their ``spoc_startup`` finds it and keeps it.
        """
        self.binding = bindings.Binding(framework, settings(framework), tasks)
        bindings.push(self.binding)
        return self.binding

    def release(self) -> None:
        """Undo :meth:`prepare`."""
        if self.binding is not None and not self._started_here:
            done, self.binding = self.binding, None
            bindings.remove(done)
            done.close()


def settings(framework: Framework) -> CelerySettings:
    """Return ``[spoc.celery]``; the defaults when the plugin was registered after settings were read."""
    try:
        section: CelerySettings = framework.settings.section(SECTION)
    except KeyError:
        from spoc_celery.settings import CelerySettings

        return CelerySettings()
    return section


def find_plugin(framework: Framework) -> CeleryPlugin:
    """Return the framework's celery plugin.

    Raises:
        SpocError: spoc-celery is not loaded in this framework.
    """
    for plugin in framework.plugin_manager.get_plugins():
        if isinstance(plugin, CeleryPlugin):
            return plugin
    raise spoc.SpocError(
        "spoc-celery is not loaded in this framework: is it installed, and not blocked by "
        "disable_plugins, -p no:celery or SPOC_DISABLE_PLUGIN_AUTOLOAD? (-p celery loads it)"
    )
