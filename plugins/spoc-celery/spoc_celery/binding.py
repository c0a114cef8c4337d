"""The Celery app of a SPOC application, made when first needed, and the process's current one.

A SPOC application that starts with the celery plugin pushes a
:class:`Binding`: its settings and its tasks, but no Celery app yet. The
first task used makes the app from ``[spoc.celery]``, so a project that
never sends a task never imports Celery. A worker's main process makes its
binding before any task process is forked, and each task process inherits it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

from spoc.errors import ConfigError, SpocError, did_you_mean

from spoc_celery.errors import BrokerUnreachableError, masked_url
from spoc_celery.tasks import SpocTask

if TYPE_CHECKING:
    from spoc.framework import Framework

    from spoc_celery.settings import CelerySettings

__all__ = ["Binding", "celery_config", "current", "push", "remove", "tasks_in", "tasks_of"]

# Where the settings are, for messages.
SECTION_HINT: Final = "[spoc.celery] of spoc.toml (or SPOC_CELERY__<NAME> variables)"
START_RETRIES: Final = (
    "broker_connection_retry_on_startup, broker_connection_max_retries and broker_connection_timeout "
    "in [spoc.celery] say"
)
PUBLISH_RETRIES: Final = "task_publish_retry and task_publish_retry_policy in [spoc.celery] say"

_lock = threading.Lock()
_stack: list[Binding] = []


def current() -> Binding | None:
    """Return the binding of the SPOC application started last in this process, or ``None``."""
    return _stack[-1] if _stack else None


def push(binding: Binding) -> None:
    """Make ``binding`` the current one (a started application)."""
    with _lock:
        _stack.append(binding)


def remove(binding: Binding) -> None:
    """Forget ``binding`` (its application stopped); the one started before it is current again."""
    with _lock:
        if binding in _stack:
            _stack.remove(binding)


def tasks_of(framework: Framework) -> list[SpocTask[Any, Any]]:
    """Return the tasks among a started framework's components, of every module kind."""
    found: list[SpocTask[Any, Any]] = []
    for kind in framework.components:
        found += [obj for obj in getattr(framework.components, kind).values() if isinstance(obj, SpocTask)]
    return found


def tasks_in(modules: Iterable[ModuleType]) -> list[SpocTask[Any, Any]]:
    """Return the tasks defined (not imported) in ``modules``: what a worker's main process registers."""
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, SpocTask) and value.__module__ == module.__name__
    ]


def celery_config(settings: CelerySettings, tasks: Iterable[SpocTask[Any, Any]] = ()) -> dict[str, Any]:
    """Return Celery's configuration: ``[spoc.celery]``, the embedded default, and the periodic tasks.

    Raises:
        ConfigError: a key of ``[spoc.celery]`` is not a Celery setting.
    """
    from celery.app.defaults import NAMESPACES, flatten  # type: ignore[import-untyped]

    config = settings.celery_config()
    known = {name for name, _ in flatten(NAMESPACES)}
    for name in config:
        if name not in known:
            raise ConfigError(
                f"[spoc.celery] has {name!r}, which is not a Celery setting{did_you_mean(name, known)}. "
                f"Settings are Celery's lowercase names (docs.celeryq.dev, 'Configuration and defaults'); "
                f"fix or remove it in {SECTION_HINT}.",
                key=f"spoc.celery.{name}",
            )
    if settings.embedded:
        # No broker: run each task in the calling process, before .delay() returns.
        config.setdefault("task_always_eager", True)
        config.setdefault("task_store_eager_result", False)
    schedule = dict(config.get("beat_schedule") or {})
    for declared in tasks:
        if declared.every is not None:
            # A run that no worker took within its interval expires rather than pile up behind the next.
            options = {"expires": declared.every}
            schedule.setdefault(declared.name, {"task": declared.name, "schedule": declared.every, "options": options})
    if schedule:
        config["beat_schedule"] = schedule
    return config


class Binding:
    """One SPOC application's tasks and Celery app.

    Attributes:
        framework: the application.
        settings: its ``[spoc.celery]`` section.
    """

    def __init__(self, framework: Framework, settings: CelerySettings, tasks: Iterable[SpocTask[Any, Any]]) -> None:
        self.framework = framework
        self.settings = settings
        self.declared: dict[str, SpocTask[Any, Any]] = {}
        for declared in tasks:
            known = self.declared.setdefault(declared.name, declared)
            if known is not declared:
                raise _duplicate(known, declared)
        self._app: Any = None
        self._tasks: dict[str, tuple[SpocTask[Any, Any], Any]] = {}
        self._lock = threading.RLock()

    @property
    def embedded(self) -> bool:
        """Whether tasks run in the calling process: ``[spoc.celery]`` names no broker."""
        return self.settings.embedded

    @property
    def broker(self) -> str:
        """The broker URL with its password masked, for messages."""
        url = self.settings.broker_url
        return masked_url(url.get_secret_value() if url is not None else None)

    @property
    def app(self) -> Any:
        """The Celery app, made from ``[spoc.celery]`` on first use."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._make_app()
        return self._app

    def _make_app(self) -> Any:
        from celery import Celery  # type: ignore[import-untyped]

        from spoc_celery.celery_task import SpocCeleryTask

        config = celery_config(self.settings, self.declared.values())
        app = Celery(self.framework.base_dir.name, set_as_current=False, task_cls=SpocCeleryTask)
        app.conf.update(config)
        app.spoc_binding = self
        return app

    def task(self, declared: SpocTask[Any, Any]) -> Any:
        """Return the Celery task of ``declared``, registering it in the app on first use.

        Raises:
            SpocError: another task has the same name.
        """
        entry = self._tasks.get(declared.name)
        if entry is None:
            with self._lock:
                entry = self._tasks.get(declared.name)
                if entry is None:
                    known = self.declared.setdefault(declared.name, declared)
                    if known is not declared:
                        raise _duplicate(known, declared)
                    # shared=False: a task belongs to this app only, not to every app made later.
                    made = self.app.task(name=declared.name, shared=False, lazy=False, **declared.options)
                    entry = self._tasks[declared.name] = (declared, made(declared.run))
        if entry[0] is not declared:
            raise _duplicate(entry[0], declared)
        return entry[1]

    def bind_all(self) -> dict[str, Any]:
        """Register every declared task in the app: a worker must know every name before it consumes."""
        return {name: self.task(declared) for name, declared in self.declared.items()}

    def periodic(self) -> Iterator[SpocTask[Any, Any]]:
        """Yield the tasks declared with ``every=``."""
        return (declared for declared in self.declared.values() if declared.every is not None)

    def check_broker(self) -> None:
        """Connect to the broker once.

        Raises:
            BrokerUnreachableError: it cannot be reached; the message names its masked URL and the settings.
        """
        connection = self.app.connection_for_write()
        try:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
        except Exception as exc:
            raise BrokerUnreachableError(self.broker, exc, retries=START_RETRIES) from exc
        finally:
            connection.release()

    def close(self) -> None:
        """Close the Celery app's connection pools, if it was made."""
        if self._app is not None:
            self._app.close()


def _duplicate(first: SpocTask[Any, Any], second: SpocTask[Any, Any]) -> SpocError:
    return SpocError(
        f"two tasks are named {first.name!r}: {first.__module__}.{first.__qualname__} and "
        f"{second.__module__}.{second.__qualname__}. Celery finds a task by its name: rename one "
        "function, or give one of them @task(name=...)."
    )
