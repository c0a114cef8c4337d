"""Unit tests of spoc.lifecycle: steps, the undo stack, and how failures unwind it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from spoc.errors import AsyncHookError, ShutdownError, SpocError, StartupError
from spoc.lifecycle import Step, UndoStack, run_steps, run_steps_async, shutdown_error

if sys.version_info >= (3, 11):
    from builtins import ExceptionGroup
else:  # pragma: no cover - depends on the interpreter
    from exceptiongroup import ExceptionGroup


def recording(calls: list[str], event: str, *, fail: bool = False) -> Callable[[], None]:
    """Return an action that records ``event`` and raises when ``fail``."""

    def action() -> None:
        calls.append(event)
        if fail:
            raise RuntimeError(f"{event} broke")

    return action


def arecording(calls: list[str], event: str, *, fail: bool = False) -> Callable[[], Any]:
    """Return an ``async`` action that records ``event`` and raises when ``fail``."""

    async def action() -> None:
        await asyncio.sleep(0)
        calls.append(event)
        if fail:
            raise RuntimeError(f"{event} broke")

    return action


def step(calls: list[str], name: str, *, fail: bool = False, undo_fails: bool = False) -> Step:
    """Return a step ``name`` whose undo records ``undo name``."""
    return Step(
        name, recording(calls, name, fail=fail), recording(calls, f"undo {name}", fail=undo_fails), f"undo {name}"
    )


def test_run_steps_runs_every_step_in_order_and_remembers_the_undoable_ones() -> None:
    calls: list[str] = []
    stack = UndoStack()

    run_steps([step(calls, "a"), Step("no undo", recording(calls, "no undo")), step(calls, "b")], stack)

    assert calls == ["a", "no undo", "b"]
    assert len(stack) == 2


def test_a_step_without_undo_is_not_pushed_on_the_stack() -> None:
    stack = UndoStack()

    stack.push(Step("nothing to undo", lambda: None))

    assert len(stack) == 0


def test_unwind_undoes_the_steps_in_reverse_order_and_empties_the_stack() -> None:
    calls: list[str] = []
    stack = UndoStack()
    run_steps([step(calls, "a"), step(calls, "b"), step(calls, "c")], stack)

    errors = stack.unwind()

    assert errors == []
    assert calls == ["a", "b", "c", "undo c", "undo b", "undo a"]
    assert len(stack) == 0
    assert stack.unwind() == []


def test_a_failing_step_unwinds_the_done_steps_in_reverse_and_names_the_step() -> None:
    calls: list[str] = []
    stack = UndoStack()
    steps = [step(calls, "a"), step(calls, "b"), step(calls, "c", fail=True), step(calls, "d")]

    with pytest.raises(StartupError) as info:
        run_steps(steps, stack)

    assert calls == ["a", "b", "c", "undo b", "undo a"]
    assert info.value.step == "c"
    assert "startup failed at step `c`" in str(info.value)
    assert "RuntimeError: c broke" in str(info.value)
    assert "undone in reverse order" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert len(stack) == 0


def test_every_undo_step_runs_even_when_several_fail() -> None:
    calls: list[str] = []
    stack = UndoStack()
    run_steps([step(calls, "a", undo_fails=True), step(calls, "b"), step(calls, "c", undo_fails=True)], stack)

    errors = stack.unwind()

    assert calls[3:] == ["undo c", "undo b", "undo a"]
    assert [str(error) for error in errors] == [
        "shutdown step `undo c` failed: RuntimeError: undo c broke",
        "shutdown step `undo a` failed: RuntimeError: undo a broke",
    ]
    assert all(isinstance(error, SpocError) for error in errors)
    assert [str(error.__cause__) for error in errors] == ["undo c broke", "undo a broke"]


def test_a_spoc_error_from_an_undo_step_is_kept_as_it_is() -> None:
    stack = UndoStack()
    original = SpocError("the database said no")

    def undo() -> None:
        raise original

    stack.push(Step("connect", lambda: None, undo, "disconnect"))

    assert stack.unwind() == [original]


def test_undo_failures_of_a_failed_startup_are_attached_to_the_startup_error() -> None:
    calls: list[str] = []
    steps = [step(calls, "a", undo_fails=True), step(calls, "b", fail=True)]

    with pytest.raises(StartupError) as info:
        run_steps(steps, UndoStack())

    assert calls == ["a", "b", "undo a"]
    assert [str(error) for error in info.value.undo_errors] == [
        "shutdown step `undo a` failed: RuntimeError: undo a broke"
    ]
    assert "Undoing the earlier steps also failed 1 time(s)" in str(info.value)


def test_a_spoc_error_from_a_step_is_raised_unchanged_with_the_undo_errors() -> None:
    calls: list[str] = []
    original = SpocError("app 'blog' has no 'views' module")

    def fail() -> None:
        raise original

    with pytest.raises(SpocError) as info:
        run_steps([step(calls, "a", undo_fails=True), Step("import blog.views", fail)], UndoStack())

    assert info.value is original
    assert calls == ["a", "undo a"]
    assert len(info.value.undo_errors) == 1  # type: ignore[attr-defined]


def test_sync_run_steps_refuses_an_awaitable_with_the_location_and_closes_it() -> None:
    calls: list[str] = []
    async_action = arecording(calls, "never")

    with pytest.raises(AsyncHookError) as info:
        run_steps([step(calls, "a"), Step("spoc_startup of plugin 'db'", async_action)], UndoStack())

    code = async_action.__code__
    assert calls == ["a", "undo a"]
    assert info.value.step == "spoc_startup of plugin 'db'"
    assert info.value.location == f"{code.co_filename}:{code.co_firstlineno}"
    assert info.value.location in str(info.value)
    assert "astartup()" in str(info.value)


def test_sync_unwind_refuses_an_awaitable_undo_and_still_runs_the_others() -> None:
    calls: list[str] = []
    stack = UndoStack()
    stack.push(step(calls, "a"))
    stack.push(Step("b", lambda: None, arecording(calls, "never"), "async undo b"))
    stack.push(step(calls, "c"))

    errors = stack.unwind()

    assert calls == ["undo c", "undo a"]
    assert len(errors) == 1
    assert isinstance(errors[0], AsyncHookError)
    assert errors[0].step == "async undo b"


def test_run_steps_async_awaits_coroutines_and_runs_plain_steps_in_order() -> None:
    calls: list[str] = []
    stack = UndoStack()
    steps = [
        Step("a", arecording(calls, "a"), arecording(calls, "undo a"), "undo a"),
        step(calls, "b"),
        Step("c", arecording(calls, "c"), arecording(calls, "undo c"), "undo c"),
    ]

    async def main() -> list[Exception]:
        await run_steps_async(steps, stack)
        return await stack.aunwind()

    assert asyncio.run(main()) == []
    assert calls == ["a", "b", "c", "undo c", "undo b", "undo a"]


def test_a_failing_async_step_awaits_the_undo_of_the_done_steps_in_reverse() -> None:
    calls: list[str] = []
    stack = UndoStack()
    steps = [
        Step("a", arecording(calls, "a"), arecording(calls, "undo a"), "undo a"),
        step(calls, "b"),
        Step("c", arecording(calls, "c", fail=True), arecording(calls, "undo c"), "undo c"),
    ]

    with pytest.raises(StartupError) as info:
        asyncio.run(run_steps_async(steps, stack))

    assert calls == ["a", "b", "c", "undo b", "undo a"]
    assert info.value.step == "c"
    assert isinstance(info.value.__cause__, RuntimeError)


def test_async_unwind_runs_every_undo_step_and_collects_the_failures() -> None:
    calls: list[str] = []
    stack = UndoStack()
    stack.push(Step("a", lambda: None, arecording(calls, "undo a", fail=True), "undo a"))
    stack.push(step(calls, "b", undo_fails=True))
    stack.push(Step("c", lambda: None, arecording(calls, "undo c"), "undo c"))

    errors = asyncio.run(stack.aunwind())

    assert calls == ["undo c", "undo b", "undo a"]
    assert [str(error) for error in errors] == [
        "shutdown step `undo b` failed: RuntimeError: undo b broke",
        "shutdown step `undo a` failed: RuntimeError: undo a broke",
    ]


def test_shutdown_error_is_a_spoc_error_and_an_exception_group_of_every_failure() -> None:
    failures: list[Exception] = [SpocError("first"), SpocError("second")]

    error = shutdown_error(failures)

    assert isinstance(error, ShutdownError)
    assert isinstance(error, SpocError)
    assert isinstance(error, ExceptionGroup)
    assert list(error.exceptions) == failures
    assert "2 shutdown step(s) failed; every other step still ran" in str(error)


def test_shutdown_error_can_be_split_like_any_exception_group() -> None:
    first = SpocError("first")
    second = AsyncHookError("undo b", "file.py:3")
    error = shutdown_error([first, second])

    matched, rest = error.split(AsyncHookError)

    assert isinstance(matched, ShutdownError)
    assert list(matched.exceptions) == [second]
    assert rest is not None
    assert list(rest.exceptions) == [first]


def test_an_error_while_producing_the_next_step_also_undoes_the_done_steps() -> None:
    calls: list[str] = []
    stack = UndoStack()

    def steps() -> Iterator[Step]:
        yield step(calls, "a")
        yield step(calls, "b")
        raise ValueError("cannot plan the next step")

    with pytest.raises(SpocError) as info:
        run_steps(steps(), stack)

    assert calls == ["a", "b", "undo b", "undo a"]
    assert isinstance(info.value.__cause__, ValueError)
    assert len(stack) == 0
