"""A cached hook dispatcher for hot paths: pluggy's semantics at the cost of a plain loop.

A pluggy hook call re-derives per call what only changes when plugins do: the
order of the implementations, the arguments each takes, firstresult. A
:class:`HotHook` reads pluggy's own registry (``HookCaller.get_hookimpls()``)
once, generates a Python function that makes exactly those calls, and rebuilds
it when they change. The check runs on every call: with SPOC's own manager it
reads the manager's :class:`~spoc.plugins.Generation` (one attribute, bumped by
every register, unregister, block or new hookspec, also ones made on the
manager directly); on any other pluggy manager it compares ``get_hookimpls()``
with the list the code was built from.

The generated code follows pluggy's ``_multicall``: implementations in reverse
``get_hookimpls()`` order (wrappers outermost), each given only the arguments it
declares, firstresult stopping at the first non-None result, new-style wrappers
torn down in reverse, able to replace the result or the exception. What it does
not reproduce goes to pluggy itself, so the result is always pluggy's: historic
hooks, hooks without a spec, old-style ``hookwrapper=True`` implementations,
arguments with defaults (whose handling differs between pluggy versions), and
calls that leave out an argument of the spec or add one (pluggy warns, then
may raise ``HookCallError``; it ignores extra ones).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Generator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, NoReturn

import pluggy

if TYPE_CHECKING:
    from spoc.plugins import Generation

__all__ = ["HotHook"]

# Every name the generated code binds starts with this, so no spec argument can shadow one.
_PREFIX: Final = "_spoc_"

_Shape = tuple[tuple[str, ...], bool, int, tuple[tuple[str, ...], ...], bool]


class HotHook:
    """Call one hook like pluggy does, through a function regenerated when its implementations change.

    ``hot(**kwargs)`` takes the hook's arguments by keyword, as
    ``pm.hook.name(**kwargs)`` does. ``hot.call(...)`` is the hot path: it
    must be given exactly the spec's arguments (a missing or unknown one is a
    ``TypeError``), by keyword or, fastest, positionally in the spec's order;
    read it anew for each call, as it is replaced when the implementations
    change.

    Args:
        caller: the hook, e.g. ``pm.hook.spoc_invoke``.
        fast: ``False`` always calls through pluggy, e.g. when hook-call
            monitoring (``SPOC_TRACE_HOOKS``) must see every call.
        generation: the manager's change counter, when it keeps one
            (:class:`spoc.plugins.CountingPluginManager`); without it every
            call compares the implementation lists.
    """

    __slots__ = ("_names", "_state", "call", "caller", "fast", "generation")

    def __init__(self, caller: pluggy.HookCaller, *, fast: bool = True, generation: Generation | None = None) -> None:
        self.caller = caller
        self.fast = fast
        self.generation = generation
        self._names = frozenset(caller.spec.argnames) if caller.spec is not None else None
        # (token, function) change together, so a racing rebuild cannot pair them wrongly.
        self._state: tuple[Any, Callable[..., Any]] = (None, caller)
        self.call: Callable[..., Any] = self._first_call

    def __call__(self, **kwargs: Any) -> Any:
        """Call the hook; the result or exception is pluggy's."""
        if kwargs.keys() == self._names:
            return self.call(**kwargs)
        # An argument missing or unknown (or no spec): pluggy warns, ignores or raises, as it does.
        return self.caller(**kwargs)

    def __repr__(self) -> str:
        return f"<HotHook {self.caller.name!r}>"

    @property
    def accelerated(self) -> bool:
        """Whether the current implementations are called by generated code rather than pluggy."""
        return getattr(self.refresh(), "_spoc_generated", False) is True

    def refresh(self) -> Callable[..., Any]:
        """Return the function for the current implementations, building it if they changed."""
        # Read before the implementations: a change racing with the build leaves the code stale, not wrong.
        current = self.generation.value if self.generation is not None else None
        impls = self.caller.get_hookimpls()
        wanted = impls if current is None else current
        token, function = self._state
        if wanted != token:
            function = _build(self, impls, current)
            self._state = (wanted, function)
        self.call = function
        return function

    def _first_call(self, *args: Any, **kwargs: Any) -> Any:
        return self.refresh()(*args, **kwargs)


def _build(hot: HotHook, impls: list[pluggy.HookImpl], generation: int | None) -> Callable[..., Any]:
    """Return generated code for ``impls``, or a pluggy call when it cannot be exact.

    The code checks ``hot.generation`` against ``generation`` when the manager
    counts its changes, else ``get_hookimpls()`` against ``impls``.
    """
    caller = hot.caller
    spec = caller.spec
    names = tuple(spec.argnames) if spec is not None else ()
    if not hot.fast or spec is None or not _supported(caller, spec, names, impls):
        return _via_pluggy(hot, impls, generation)
    wrappers = [impl for impl in reversed(impls) if impl.wrapper]
    plain = [impl for impl in reversed(impls) if not impl.wrapper]
    shape: _Shape = (
        names,
        bool(spec.opts.get("firstresult", False)),
        len(wrappers),
        tuple(tuple(impl.argnames) for impl in [*wrappers, *plain]),
        generation is not None,
    )
    functions = [impl.function for impl in [*wrappers, *plain]]
    if generation is not None:
        return _factory(shape)(hot.generation, generation, hot.refresh, _teardown, _wrapfail, *functions)
    return _factory(shape)(caller.get_hookimpls, impls, hot.refresh, _teardown, _wrapfail, *functions)


def _supported(caller: pluggy.HookCaller, spec: Any, names: tuple[str, ...], impls: Sequence[pluggy.HookImpl]) -> bool:
    """Whether generated code can match pluggy exactly for this hook and these implementations."""
    if caller.is_historic() or spec.kwargnames:
        return False
    if not all(name.isidentifier() and not keyword.iskeyword(name) and not name.startswith(_PREFIX) for name in names):
        return False
    known = set(names)
    if not all(not impl.hookwrapper and not impl.kwargnames and known.issuperset(impl.argnames) for impl in impls):
        return False
    # pluggy keeps wrappers after the others and calls the list reversed: every wrapper is entered first.
    kinds = [impl.wrapper for impl in reversed(impls)]
    return kinds == sorted(kinds, reverse=True)


def _via_pluggy(hot: HotHook, impls: list[pluggy.HookImpl], generation: int | None) -> Callable[..., Any]:
    """Return a function that calls pluggy, and switches to generated code once the implementations change."""
    get, caller, counter = hot.caller.get_hookimpls, hot.caller, hot.generation

    names = caller.spec.argnames if caller.spec is not None else ()

    def call(*args: Any, **kwargs: Any) -> Any:
        stale = counter.value != generation if counter is not None else get() != impls
        if stale:
            return hot.refresh()(*args, **kwargs)
        if len(args) > len(names):
            raise TypeError(f"{caller.name}() takes {len(names)} arguments ({', '.join(names)}), {len(args)} given")
        return caller(**dict(zip(names[: len(args)], args, strict=True)), **kwargs)

    return call


@lru_cache(maxsize=256)
def _factory(shape: _Shape) -> Callable[..., Callable[..., Any]]:
    """Compile, once per shape, a factory that binds generated dispatch code to the implementations.

    The shape is everything the code depends on: the spec's argument names,
    firstresult, how many wrappers, the arguments each implementation takes,
    and whether staleness is read from a generation counter (``get.value``)
    or from ``get()``, the current implementations.
    """
    names, firstresult, wrapper_count, argnames, counted = shape
    p = _PREFIX
    callables = [f"{p}w{index}" for index in range(wrapper_count)]
    callables += [f"{p}f{index}" for index in range(len(argnames) - wrapper_count)]
    lines = [f"def {p}factory({p}get, {p}token, {p}refresh, {p}teardown, {p}wrapfail, {', '.join(callables)}):"]
    plain = list(zip(callables[wrapper_count:], argnames[wrapper_count:], strict=True))
    body = _plain_body(plain, firstresult)
    if wrapper_count:
        lines.append(f"    def {p}inner({', '.join(names)}):")
        lines += [f"        {line}" for line in body]
    lines += [
        # The spec's arguments in order: given positionally they bind fastest; stale code hands the call on.
        f"    def {p}dispatch({', '.join(names)}):",
        f"        if {p}get.value != {p}token:" if counted else f"        if {p}get() != {p}token:",
        f"            return {p}refresh()({', '.join(f'{name}={name}' for name in names)})",
    ]
    if wrapper_count:
        lines += [f"        {p}teardowns = []", "        try:"]
        for function, arguments in zip(callables[:wrapper_count], argnames[:wrapper_count], strict=True):
            lines += [
                f"            {p}gen = {function}({', '.join(arguments)})",
                "            try:",
                f"                next({p}gen)",
                "            except StopIteration:",
                f"                {p}wrapfail({p}gen, 'did not yield')",
                f"            {p}teardowns.append({p}gen)",
            ]
        lines += [
            f"            {p}result = {p}inner({', '.join(names)})",
            f"        except BaseException as {p}exc:",
            f"            return {p}teardown({p}teardowns, None, {p}exc)",
            f"        return {p}teardown({p}teardowns, {p}result, None)",
        ]
    else:
        lines += [f"        {line}" for line in body]
    lines += [f"    {p}dispatch._spoc_generated = True", f"    return {p}dispatch"]
    namespace: dict[str, Any] = {}
    # The source holds only identifiers checked by _supported and names made here.
    exec(compile("\n".join(lines), f"<spoc.dispatch {len(plain)}+{wrapper_count}>", "exec"), namespace)  # noqa: S102
    return namespace[f"{p}factory"]  # type: ignore[no-any-return]


def _plain_body(plain: list[tuple[str, tuple[str, ...]]], firstresult: bool) -> list[str]:
    """Lines that call the non-wrapper implementations in order and return what pluggy would."""
    p = _PREFIX
    lines = [] if firstresult else [f"{p}results = []"]
    for function, arguments in plain:
        lines.append(f"{p}r = {function}({', '.join(arguments)})")
        lines.append(f"if {p}r is not None:")
        lines.append(f"    return {p}r" if firstresult else f"    {p}results.append({p}r)")
    lines.append("return None" if firstresult else f"return {p}results")
    return lines


def _wrapfail(generator: Generator[Any, Any, Any], message: str) -> NoReturn:
    """Raise pluggy's error for a wrapper that did not yield, or yielded twice."""
    code = generator.gi_code  # type: ignore[attr-defined]
    raise RuntimeError(f"wrap_controller at {code.co_name!r} {code.co_filename}:{code.co_firstlineno} {message}")


def _teardown(teardowns: list[Generator[Any, Any, Any]], result: Any, exception: BaseException | None) -> Any:
    """Resume the wrappers innermost first, as pluggy does; return the final result or raise."""
    for teardown in reversed(teardowns):
        try:
            if exception is not None:
                try:
                    teardown.throw(exception)
                except RuntimeError as error:
                    # A StopIteration thrown into a generator comes out as RuntimeError (PEP 479).
                    if isinstance(exception, StopIteration) and error.__cause__ is exception:
                        teardown.close()
                        continue
                    raise
            else:
                teardown.send(result)
            # Only a wrapper that yields twice gets here; closing runs its finalizers now.
            teardown.close()
        except StopIteration as stop:
            result = stop.value
            exception = None
            continue
        except BaseException as error:  # noqa: BLE001 - pluggy hands every exception to the next wrapper
            exception = error
            continue
        _wrapfail(teardown, "has second yield")
    if exception is not None:
        raise exception
    return result
