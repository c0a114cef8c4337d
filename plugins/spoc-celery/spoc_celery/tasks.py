"""``@task``: a function in an app's Schema module that Celery runs, and a SPOC component of that module.

Decorating creates a :class:`SpocTask`, a light stand-in that knows the
function, its name and its options and imports nothing of Celery. The real
Celery task is made the first time it is used (``.delay()``, ``.s()``...),
from the Celery app of the SPOC application running in this process: a
module imported before the configuration is read, or by a worker's main
process that never starts the application, binds to nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Generic, ParamSpec, TypeVar, overload

from spoc import component
from spoc.errors import SpocError

if TYPE_CHECKING:
    from spoc_celery.binding import Binding

__all__ = ["TASK_TYPE", "SpocTask", "task", "task_name"]

P = ParamSpec("P")
R = TypeVar("R")

# The component type of every task: fw.components.<kind>["app.function"].
TASK_TYPE: Final = "task"
APPS_PREFIX: Final = "apps."


def task_name(function: Callable[..., Any]) -> str:
    """Return ``<app>.<module>.<function>`` (``blog.tasks.index_post``) for a function of ``apps.blog.tasks``."""
    module = str(getattr(function, "__module__", "") or "")
    return f"{module.removeprefix(APPS_PREFIX)}.{function.__name__}"


class SpocTask(Generic[P, R]):
    """A task declared with ``@task``: a Celery task once it is used in a started application.

    ``delay``, ``apply_async``, ``s``, ``si``, ``signature``, ``map``,
    ``starmap``, ``chunks`` and every other attribute of a Celery task are
    those of the real Celery task, made on first use. Calling the task itself
    runs the function here and now, as calling a Celery task does.

    Attributes:
        name: the Celery task name, ``blog.tasks.index_post``.
        run: the decorated function.
        options: the Celery task options given to ``@task(...)``.
        every: the interval, in seconds, at which beat sends it, or ``None``.
    """

    def __init__(self, function: Callable[P, R], options: dict[str, Any], every: float | None) -> None:
        self.run = function
        self.options = dict(options)
        self.name: str = str(self.options.pop("name", None) or task_name(function))
        self.every = every
        # What a function would have, so SPOC collects it as a component of its module
        # under "app.function", and tools show the function's name and docs.
        self.__name__ = function.__name__
        self.__qualname__ = getattr(function, "__qualname__", function.__name__)
        self.__module__ = function.__module__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def bound(self) -> Any:
        """Return the real Celery task of the application running in this process.

        Raises:
            TaskNotBoundError: no SPOC application with the celery plugin has started in this process.
        """
        return _binding(self.name, "bound()").task(self)

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Send the task with these arguments; return its ``AsyncResult`` (``.get()`` waits for the result)."""
        return _binding(self.name, "delay()").task(self).delay(*args, **kwargs)

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        """Send the task with Celery's options (``countdown``, ``queue``, ...); return its ``AsyncResult``."""
        return _binding(self.name, "apply_async()").task(self).apply_async(args, kwargs, **options)

    def s(self, *args: Any, **kwargs: Any) -> Any:
        """Return a Celery signature of the task, for chains, groups and chords."""
        return _binding(self.name, "s()").task(self).s(*args, **kwargs)

    def si(self, *args: Any, **kwargs: Any) -> Any:
        """Return an immutable Celery signature of the task."""
        return _binding(self.name, "si()").task(self).si(*args, **kwargs)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the function in this process, now: no broker, no started application needed."""
        if self.options.get("bind"):
            # A bound task's function expects the Celery task as `self`.
            return self.bound()(*args, **kwargs)  # type: ignore[no-any-return]
        return self.run(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only public names go to the Celery task: dunder and private look-ups (copy,
        # pickle, SPOC's own component tag) must not bind the task as a side effect.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(_binding(self.name, name).task(self), name)

    def __repr__(self) -> str:
        every = f" every={self.every:g}s" if self.every else ""
        return f"<spoc_celery task {self.name!r}{every}>"


def _binding(name: str, attribute: str) -> Binding:
    from spoc_celery.binding import current

    binding = current()
    if binding is None:
        from spoc_celery.errors import TaskNotBoundError

        raise TaskNotBoundError(name, attribute)
    return binding


def _checked_every(every: Any) -> float | None:
    if every is None:
        return None
    if isinstance(every, bool) or not isinstance(every, (int, float)) or not math.isfinite(every) or every <= 0:
        raise SpocError(f"@task(every={every!r}): every is the interval in seconds, a number greater than 0")
    return float(every)


@overload
def task(function: Callable[P, R], /) -> SpocTask[P, R]: ...


@overload
def task(*, every: float | None = None, **options: Any) -> Callable[[Callable[P, R]], SpocTask[P, R]]: ...


def task(function: Any = None, /, *, every: float | None = None, **options: Any) -> Any:
    """Declare a Celery task in an app's Schema module: ``@task`` or ``@task(every=60, **celery_options)``.

    The task is named ``<app>.<module>.<function>`` (``name=`` overrides it)
    and is a component of type ``task`` of its module. ``options`` are
    Celery's task options (``bind``, ``max_retries``, ``acks_late``,
    ``autoretry_for``...). ``every`` makes it periodic: ``python -m spoc
    celery beat`` sends it once per interval, for the whole deployment.

    Raises:
        SpocError: ``every`` is not a positive number, or ``@task`` got something other than a function.
    """
    interval = _checked_every(every)

    def declare(target: Callable[P, R]) -> SpocTask[P, R]:
        if not callable(target) or not hasattr(target, "__name__"):
            raise SpocError(f"@task decorates a function; got {target!r}. Write @task or @task(...) above a def.")
        declared = SpocTask(target, options, interval)
        return component(declared, metadata={"type": TASK_TYPE, "task": declared.name, "every": interval})

    if function is None:
        return declare
    return declare(function)
