"""Declare workers: ``@spoc.worker``, the :class:`WorkerSpec` it checks, and how a tagged object's spec is read.

``import spoc`` imports this module for the decorator, so it starts nothing
and imports nothing heavy. Collecting an application's workers and planning
their lifecycle steps is :mod:`spoc.workers.planning`; running them is
:mod:`spoc.workers.supervisor`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar, overload

from spoc.components import component, get_info, location_of
from spoc.errors import WorkerError, did_you_mean

__all__ = ["KINDS", "RESTART_POLICIES", "START_METHODS", "WORKER_TYPE", "WorkerSpec", "make_spec", "spec_of", "worker"]

T = TypeVar("T")

WORKER_TYPE: Final = "worker"
KINDS: Final = ("thread", "process", "asyncio", "periodic")
RESTART_POLICIES: Final = ("never", "on-failure")
START_METHODS: Final = ("spawn", "fork", "forkserver")


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What a worker is: its code and how it is run.

    Attributes:
        name: unique among the application's workers, e.g. ``blog.Indexer``.
        target: a function (the worker's ``main``) or a class with ``main``
            and optional ``setup`` and ``teardown`` methods.
        kind: ``thread``, ``process``, ``asyncio`` or ``periodic``.
        every: seconds between two runs of a periodic worker.
        restart: ``never`` or ``on-failure``.
        max_restarts: how many restarts ``on-failure`` allows in the worker's life.
        backoff: seconds before the first restart; doubled for each next one.
        max_backoff: the longest wait between two restarts.
        start_timeout: how long startup waits for the worker's ``setup``.
        stop_timeout: how long shutdown waits for the worker to stop.
        start_method: how a process worker's process is made: ``spawn``,
            ``fork`` or ``forkserver``.
        site: ``file:line`` where the worker is defined, for messages.
    """

    name: str
    target: Any
    kind: str = "thread"
    every: float | None = None
    restart: str = "never"
    max_restarts: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    start_timeout: float = 10.0
    stop_timeout: float = 5.0
    start_method: str = "spawn"
    site: str = field(default="", compare=False)

    def describe(self) -> str:
        """Return ``worker 'name' (file:line)`` for messages."""
        return f"worker {self.name!r} ({self.site})" if self.site else f"worker {self.name!r}"


_DEFAULTS: Final[Mapping[str, Any]] = {
    "kind": None,
    "every": None,
    "restart": "never",
    "max_restarts": 3,
    "backoff": 0.5,
    "max_backoff": 30.0,
    "start_timeout": 10.0,
    "stop_timeout": 5.0,
    "start_method": "spawn",
}


def _main_of(target: Any) -> Any:
    return getattr(target, "main", None) if isinstance(target, type) else target


def _choice(what: str, value: Any, choices: tuple[str, ...]) -> str | None:
    if value in choices:
        return None
    hint = did_you_mean(value, choices) if isinstance(value, str) else ""
    return f"{what}={value!r} is not valid{hint}; choose one of {', '.join(repr(c) for c in choices)}"


def _is_seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _problems(target: Any, options: Mapping[str, Any]) -> Iterator[str]:
    """Yield what is wrong with a worker declaration, each as one clause without a closing period."""
    main = _main_of(target)
    if not callable(main):
        yield "it is not callable" if not isinstance(target, type) else "its class has no main() method"
        return
    for what, choices in (("kind", KINDS), ("restart", RESTART_POLICIES), ("start_method", START_METHODS)):
        problem = _choice(what, options[what], choices)
        if problem:
            yield problem
    for what in ("start_timeout", "stop_timeout"):
        if not _is_seconds(options[what]) or options[what] <= 0:
            yield f"{what}={options[what]!r} must be a positive number of seconds"
    if not isinstance(options["max_restarts"], int) or options["max_restarts"] < 0:
        yield f"max_restarts={options['max_restarts']!r} must be a whole number, 0 or more"
    for what in ("backoff", "max_backoff"):
        if not _is_seconds(options[what]) or options[what] < 0:
            yield f"{what}={options[what]!r} must be a number of seconds, 0 or more"
    kind, every = options["kind"], options["every"]
    if kind == "periodic" and (not _is_seconds(every) or every <= 0):
        yield f"a periodic worker needs every= a positive number of seconds, not {every!r}, e.g. every=60.0"
    if kind != "periodic" and every is not None:
        yield f"every= is only for periodic workers, and this one is kind={kind!r}"
    is_async = inspect.iscoroutinefunction(main)
    if kind == "asyncio" and not is_async:
        yield "an asyncio worker's main must be an async def function"
    if kind != "asyncio" and is_async:
        yield f"its main is an async def function, which needs kind='asyncio' (not {kind!r})"


def _default_kind(target: Any, every: Any) -> str:
    if every is not None:
        return "periodic"
    return "asyncio" if inspect.iscoroutinefunction(_main_of(target)) else "thread"


def make_spec(target: Any, name: str, options: Mapping[str, Any], site: str = "") -> WorkerSpec:
    """Return the checked :class:`WorkerSpec` of ``target``.

    Raises:
        WorkerError: every problem of the declaration, in one message.
    """
    merged = {**_DEFAULTS, **{key: value for key, value in options.items() if key in _DEFAULTS}}
    if merged["kind"] is None:
        merged["kind"] = _default_kind(target, merged["every"])
    site = site or location_of(target)
    problems = list(_problems(target, merged))
    if problems:
        raise WorkerError(
            f"worker {name!r} ({site}) is declared wrongly: {'; '.join(problems)}. See docs/workers.md.",
            worker=name,
            site=site,
        )
    return WorkerSpec(name=name, target=target, site=site, **merged)


def spec_of(obj: Any, default_name: str, site: str = "") -> WorkerSpec:
    """Return the spec of a worker: as ``@spoc.worker`` declared it, or the defaults for a plain function or class.

    Raises:
        WorkerError: the declaration is wrong.
    """
    info = get_info(obj)
    options = dict(info.metadata) if info is not None and info.type == WORKER_TYPE else {}
    return make_spec(obj, options.get("name") or default_name, options, site)


@overload
def worker(obj: T, **options: Any) -> T: ...


@overload
def worker(obj: None = None, **options: Any) -> Callable[[T], T]: ...


def worker(obj: Any = None, **options: Any) -> Any:
    """Declare a worker: ``@spoc.worker`` or ``@spoc.worker(every=60.0, restart="on-failure")``.

    The tagged function or class becomes a component of type ``worker`` of
    the module that defines it; SPOC starts it after ``spoc_startup`` and
    stops it before ``spoc_shutdown``. Options: ``name``, ``kind``,
    ``every``, ``restart``, ``max_restarts``, ``backoff``, ``max_backoff``,
    ``start_timeout``, ``stop_timeout``, ``start_method`` (see
    :class:`WorkerSpec`). They are checked here, so a mistake points at the
    definition.

    Raises:
        WorkerError: an unknown option, or a value that cannot work.
    """
    unknown = [key for key in options if key not in _DEFAULTS and key != "name"]
    if unknown:
        known = [*_DEFAULTS, "name"]
        raise WorkerError(
            f"@spoc.worker got unknown option(s) {', '.join(map(repr, unknown))}"
            f"{did_you_mean(unknown[0], known)}; options: {', '.join(known)}",
            worker=options.get("name") or "",
        )

    def tag(target: T) -> T:
        name = str(options.get("name") or getattr(target, "__qualname__", repr(target)))
        make_spec(target, name, options)
        return component(target, metadata={"type": WORKER_TYPE, **options})

    return tag if obj is None else tag(obj)
