"""Run lifecycle steps with an undo stack, synchronously or awaiting coroutines.

A step knows how to undo itself. Steps that completed are pushed on a stack;
when one fails, the stack is unwound in reverse, every undo step runs even when
another fails, and one error names the step that failed.
"""

from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from spoc.errors import AsyncHookError, ShutdownError, SpocError, StartupError

__all__ = ["Executor", "Step", "UndoStack", "execute_directly", "paused_gc", "run_steps", "run_steps_async"]

logger = logging.getLogger("spoc.lifecycle")


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
    """

    label: str
    run: Callable[[], Any]
    undo: Callable[[], Any] | None = None
    undo_label: str = ""
    kind: str = "step"
    target: str = ""


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


def _raise_failure(label: str, exc: Exception, undo_errors: list[Exception]) -> NoReturn:
    """Raise the one error that reports a failed step, with the undo failures attached."""
    if isinstance(exc, SpocError):
        # SPOC's own errors already say what, where and how; keep their type.
        exc.undo_errors = undo_errors  # type: ignore[attr-defined]
        raise exc
    raise StartupError(label, exc, undo_errors) from exc


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
        """Undo every step in reverse order; return the failures, never stop at one."""
        errors: list[Exception] = []
        while self._steps:
            step = self._steps.pop()
            if step.undo is None:
                continue
            try:
                _refuse_awaitable(self.execute(step, True), step.undo_label)
            except Exception as exc:  # noqa: BLE001 - every undo step must run
                logger.error("shutdown step `%s` failed: %s", step.undo_label, exc)
                errors.append(_annotate(step, exc))
        return errors

    async def aunwind(self) -> list[Exception]:
        """Undo every step in reverse order, awaiting coroutines; return the failures."""
        errors: list[Exception] = []
        while self._steps:
            step = self._steps.pop()
            if step.undo is None:
                continue
            try:
                result = self.execute(step, True)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # noqa: BLE001 - every undo step must run
                logger.error("shutdown step `%s` failed: %s", step.undo_label, exc)
                errors.append(_annotate(step, exc))
        return errors


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
            _refuse_awaitable(stack.execute(step, False), label)
        except Exception as exc:  # noqa: BLE001 - a failure in user code is undone and reported
            _raise_failure(label, exc, stack.unwind())
        stack.push(step)
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
            result = stack.execute(step, False)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # noqa: BLE001 - a failure in user code is undone and reported
            _raise_failure(label, exc, await stack.aunwind())
        stack.push(step)
        label = f"planning the step after `{label}`"
