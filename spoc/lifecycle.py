"""Run lifecycle steps with an undo stack, synchronously or awaiting coroutines.

A step knows how to undo itself. Steps that completed are pushed on a stack;
when one fails, the stack is unwound in reverse, every undo step runs even when
another fails, and one error names the step that failed.
"""

from __future__ import annotations

import gc
import inspect
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from spoc.errors import AsyncHookError, ShutdownError, SpocError, StartupError
from spoc.tracebacks import user_location

__all__ = [
    "Executor",
    "LifecycleLock",
    "Step",
    "UndoStack",
    "execute_directly",
    "paused_gc",
    "run_steps",
    "run_steps_async",
]

logger = logging.getLogger("spoc.lifecycle")

_POLL: Final = 0.005  # seconds between two looks at the lock, for an async caller that waits


@dataclass(frozen=True, slots=True)  # one per module and hook: thousands in a large project
class Step:
    """One thing startup does, and how shutdown undoes it.

    Attributes:
        label: what the step does, e.g. ``import blog.models``; used in errors.
        run: the action.
        undo: the action that reverts it, if any.
        undo_label: what the undo does, e.g. ``blog.models.teardown()``.
        kind: what sort of step: ``import``, ``schema_hook``, ``initialize``,
            ``spoc_register_components``, ``spoc_startup``,
            ``spoc_register_workers``, ``worker`` or ``prepare``.
        target: what it acts on: ``blog.models``, a plugin's or a worker's name.
        undo_anytime: the undo is safe even if the step did not finish (it
            undoes only what was done). Such a step goes on the undo stack
            before it runs, so that an interruption at any moment, even right
            after it finished, leaves nothing of it behind.
    """

    label: str
    run: Callable[[], Any]
    undo: Callable[[], Any] | None = None
    undo_label: str = ""
    kind: str = "step"
    target: str = ""
    undo_anytime: bool = False


Executor = Callable[[Step, bool], Any]
"""Runs a step (``undo=False``) or its undo (``undo=True``) and returns what it returned."""


def execute_directly(step: Step, undo: bool) -> Any:
    """Run a step's action, or its undo action, with nothing around it."""
    action = step.undo if undo else step.run
    return None if action is None else action()


@contextmanager
def paused_gc(pause: bool = True) -> Iterator[None]:
    """Hold the cyclic garbage collector off for the duration, if it was on and ``pause`` is true.

    A bulk import allocates many long-lived objects and almost no garbage, so
    the collector would only walk them again and again (``pause_gc``;
    docs/performance.md has the figures). After a successful run the new
    objects go to the oldest generation, where they belong; the collector is
    back as the application left it, also when a step fails.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
    finally:
        gc.enable()


def _refuse_awaitable(result: Any, label: str) -> None:
    if result is not None and inspect.isawaitable(result):
        code = getattr(result, "cr_code", None)
        if inspect.iscoroutine(result):
            result.close()
        where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "unknown location"
        raise AsyncHookError(label, where)


def _raise_failure(label: str, exc: BaseException, undo_errors: list[Exception]) -> NoReturn:
    """Raise the one error that reports a failed step, with the undo failures attached.

    An interruption (Ctrl+C, ``SystemExit``, a cancelled task) is not a failure of
    the step: it is raised again as it was, once every step done has been undone.
    """
    if not isinstance(exc, Exception):
        if undo_errors:
            logger.error("undoing the startup after %s: %d step(s) failed", type(exc).__name__, len(undo_errors))
        raise exc
    if isinstance(exc, SpocError):
        # SPOC's own errors already say what, where and how; keep their type.
        exc.undo_errors = undo_errors  # type: ignore[attr-defined]
        raise exc
    raise StartupError(label, exc, undo_errors, user_location(exc)) from exc


class UndoStack:
    """The undo actions of the steps done so far, last done on top."""

    def __init__(self, execute: Executor = execute_directly) -> None:
        self._steps: list[Step] = []
        self.execute = execute

    def __len__(self) -> int:
        return len(self._steps)

    def push(self, step: Step) -> None:
        """Remember a completed step."""
        if step.undo is not None:
            self._steps.append(step)

    def unwind(self) -> list[Exception]:
        """Undo every step in reverse order; return the failures, never stop at one.

        An interruption inside one undo step (a second Ctrl+C) ends that step only:
        the steps before it are still undone, then the interruption is raised again.
        """
        errors: list[Exception] = []
        interrupted: BaseException | None = None
        while self._steps:
            step = self._steps.pop()
            try:
                _refuse_awaitable(self.execute(step, True), step.undo_label)
            except Exception as exc:  # noqa: BLE001 - every undo step must run
                _report(step, exc, errors)
            except BaseException as exc:  # noqa: BLE001 - an interruption ends this undo step, not the others
                logger.warning("shutdown step `%s` interrupted (%s); undoing the rest", step.undo_label, _name(exc))
                interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted
        return errors

    async def aunwind(self) -> list[Exception]:
        """Undo every step in reverse order, awaiting coroutines; return the failures (see :meth:`unwind`)."""
        errors: list[Exception] = []
        interrupted: BaseException | None = None
        while self._steps:
            step = self._steps.pop()
            try:
                result = self.execute(step, True)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # noqa: BLE001 - every undo step must run
                _report(step, exc, errors)
            except BaseException as exc:  # noqa: BLE001 - an interruption ends this undo step, not the others
                logger.warning("shutdown step `%s` interrupted (%s); undoing the rest", step.undo_label, _name(exc))
                interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted
        return errors


def _name(exc: BaseException) -> str:
    return type(exc).__name__


def _report(step: Step, exc: Exception, errors: list[Exception]) -> None:
    logger.error("shutdown step `%s` failed: %s", step.undo_label, exc)
    errors.append(_annotate(step, exc))


def _annotate(step: Step, exc: Exception) -> Exception:
    if not isinstance(exc, SpocError):
        wrapped = SpocError(f"shutdown step `{step.undo_label}` failed: {type(exc).__name__}: {exc}")
        wrapped.__cause__ = exc
        return wrapped
    return exc


def shutdown_error(errors: list[Exception]) -> ShutdownError:
    """Return the one error that reports every failed shutdown step."""
    return ShutdownError(f"{len(errors)} shutdown step(s) failed; every other step still ran", errors)


def run_steps(steps: Iterable[Step], stack: UndoStack) -> None:
    """Run steps in order; on failure (of a step, or of planning the next) unwind and raise one SpocError."""
    iterator, label = iter(steps), "planning the first step"
    while True:
        try:
            step = next(iterator, None)
            if step is None:
                return
            label = step.label
            logger.debug("startup: %s", label)
            if step.undo_anytime:
                stack.push(step)
            _refuse_awaitable(stack.execute(step, False), label)
            if not step.undo_anytime:
                stack.push(step)
        except BaseException as exc:  # noqa: BLE001 - a failure, or an interruption, undoes what was done
            _raise_failure(label, exc, _unwind_after(stack))
        label = f"planning the step after `{label}`"


async def run_steps_async(steps: Iterable[Step], stack: UndoStack) -> None:
    """Like :func:`run_steps`, awaiting the steps that return awaitables."""
    iterator, label = iter(steps), "planning the first step"
    while True:
        try:
            step = next(iterator, None)
            if step is None:
                return
            label = step.label
            logger.debug("startup: %s", label)
            if step.undo_anytime:
                stack.push(step)
            result = stack.execute(step, False)
            if inspect.isawaitable(result):
                await result
            if not step.undo_anytime:
                stack.push(step)
        except BaseException as exc:  # noqa: BLE001 - a failure, or an interruption, undoes what was done
            _raise_failure(label, exc, await _aunwind_after(stack))
        label = f"planning the step after `{label}`"


def _unwind_after(stack: UndoStack) -> list[Exception]:
    """Undo everything after a failed or interrupted step; a second interruption only cuts one undo step short."""
    try:
        return stack.unwind()
    except BaseException:  # noqa: BLE001 - the first exception is the one to raise
        return []


async def _aunwind_after(stack: UndoStack) -> list[Exception]:
    try:
        return await stack.aunwind()
    except BaseException:  # noqa: BLE001 - the first exception is the one to raise
        return []


class LifecycleLock:
    """Serialise startup and shutdown across threads and tasks; refuse a call from inside a running one.

    A caller that arrives while another thread (or task) starts or stops the
    framework waits for it, then sees the idempotent result. A hook that calls
    ``startup()`` or ``shutdown()`` from inside the lifecycle would deadlock or
    run every step twice: it gets an error saying so.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: tuple[int, object] | None = None
        self._running = ""

    def _check_reentry(self, what: str, task: object) -> None:
        owner = self._owner
        if owner is not None and owner[0] == threading.get_ident() and (task is None or owner[1] in (task, None)):
            raise SpocError(
                f"{what} was called while {self._running} runs on this thread (from a hook or a step?). "
                "The lifecycle cannot run inside itself: call it after the running one returns."
            )

    @contextmanager
    def held(self, what: str) -> Iterator[None]:
        """Hold the lock for a synchronous ``startup()``/``shutdown()``, waiting for any other to finish."""
        self._check_reentry(what, None)
        with self._lock:
            self._owner, self._running = (threading.get_ident(), None), what
            try:
                yield
            finally:
                self._owner = None

    @asynccontextmanager
    async def aheld(self, what: str) -> AsyncIterator[None]:
        """Hold the lock for ``astartup()``/``ashutdown()``, yielding to the event loop while another runs."""
        import asyncio

        task = asyncio.current_task()
        self._check_reentry(what, task)
        while not self._lock.acquire(blocking=False):
            await asyncio.sleep(_POLL)
        self._owner, self._running = (threading.get_ident(), task), what
        try:
            yield
        finally:
            self._owner = None
            self._lock.release()
