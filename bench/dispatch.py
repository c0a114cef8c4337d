"""Section 2: nanoseconds per hook call, four ways, for K implementations.

Every variant does the same work: K functions are called with
``(component, args, kwargs)``; K - 1 of them return ``None`` and the last calls
the component, as ``spoc_invoke``'s built-in does (firstresult). With
wrappers, the plain loop is wrapped in as many nested plain functions, the hand
written equivalent of middleware. Run as ``python -m bench.dispatch PROJECT
ROUNDS SAMPLE_MS`` in a fresh process; it prints JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import timeit
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any, Final

__all__ = ["CASES", "measure", "rows"]

CASES: Final = ((1, 0), (10, 0), (100, 0), (10, 3))
VARIANTS: Final = ("plain", "pluggy", "fw.hook", "fw.invoke")
HOOK_LIMIT: Final = 1.05
COMPONENT: Final = ("views", "app0000.view_0")


def _observer(component: Any, args: Any, kwargs: Any) -> None:
    return None


def _call(component: Any, args: Any, kwargs: Any) -> Any:
    return component(*args, **kwargs)


def invoke_limit(impls: int, wrappers: int) -> float:
    """The issue's target for fw.invoke over the plain loop."""
    if wrappers:
        return 5.0
    return 2.0 if impls == 1 else 1.2


def _plain(impls: int, wrappers: int) -> Callable[[Any, Any, Any], Any]:
    functions = [_observer] * (impls - 1) + [_call]

    def loop(component: Any, args: Any, kwargs: Any) -> Any:
        for function in functions:
            result = function(component, args, kwargs)
            if result is not None:
                return result
        return None

    def wrap(inner: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
        def wrapper(component: Any, args: Any, kwargs: Any) -> Any:
            return inner(component, args, kwargs)

        return wrapper

    chain: Callable[[Any, Any, Any], Any] = loop
    for _ in range(wrappers):
        chain = wrap(chain)
    return chain


def _plugins(hookimpl: Any, hook: str, impls: int, wrappers: int, builtin_caller: bool) -> list[object]:
    """Plugin objects implementing ``hook``: observers, the caller (unless built in), wrappers."""

    def observer_method(self: object, component: Any) -> None:
        return None

    def caller_method(self: object, component: Any, args: Any, kwargs: Any) -> Any:
        return component(*args, **kwargs)

    def wrapper_method(self: object) -> Generator[None, Any, Any]:
        return (yield)

    def plugin(method: Callable[..., Any], **options: bool) -> object:
        return type("BenchPlugin", (), {hook: hookimpl(**options)(method)})()

    made = [plugin(observer_method) for _ in range(impls - 1)]
    if not builtin_caller:
        made.append(plugin(caller_method, trylast=True))
    made += [plugin(wrapper_method, wrapper=True) for _ in range(wrappers)]
    return made


def _statements(fw: Any, impls: int, wrappers: int) -> tuple[dict[str, timeit.Timer], list[object]]:
    """The four timers of one case, and the plugins registered on ``fw`` for it."""
    import pluggy

    import spoc

    class Spec:
        @pluggy.HookspecMarker("bench")(firstresult=True)
        def bench_x(self, component: Any, args: Any, kwargs: Any) -> Any:
            """The benchmark's hook, shaped like spoc_invoke."""

    class SpocSpec:
        @spoc.hookspec(firstresult=True)
        def bench_x(self, component: Any, args: Any, kwargs: Any) -> Any:
            """The same hook, on SPOC's manager."""

    manager = pluggy.PluginManager("bench")
    manager.add_hookspecs(Spec)
    for plugin in _plugins(pluggy.HookimplMarker("bench"), "bench_x", impls, wrappers, builtin_caller=False):
        manager.register(plugin)
    if not hasattr(fw.hook, "bench_x"):
        fw.plugin_manager.add_hookspecs(SpocSpec)
    registered = _plugins(spoc.hookimpl, "bench_x", impls, wrappers, builtin_caller=False)
    registered += _plugins(spoc.hookimpl, "spoc_invoke", impls, wrappers, builtin_caller=True)
    for plugin in registered:
        fw.plugin_manager.register(plugin)
    kind, name = COMPONENT
    names = {
        "fw": fw,
        "pm": manager,
        "chain": _plain(impls, wrappers),
        "component": fw.get_component(kind, name),
        "args": (1,),
        "kwargs": {},
        "kind": kind,
        "name": name,
    }
    statements = {
        "plain": "chain(component, args, kwargs)",
        "pluggy": "pm.hook.bench_x(component=component, args=args, kwargs=kwargs)",
        "fw.hook": "fw.hook.bench_x(component=component, args=args, kwargs=kwargs)",
        "fw.invoke": "fw.invoke(kind, name, 1)",
    }
    timers = {variant: timeit.Timer(statement, globals=names) for variant, statement in statements.items()}
    for variant, statement in statements.items():
        result = eval(statement, names)  # noqa: S307 - our own fixed statements, checked before timing
        if result != 1:
            raise AssertionError(f"{variant} returned {result!r}, not the component's result")
    return timers, registered


def measure(project: Path, rounds: int, sample_seconds: float) -> dict[str, Any]:
    """Start the project, then time every case's variants interleaved; return ns per call samples."""
    from spoc.framework import Framework

    fw = Framework(project).startup()
    results: dict[str, Any] = {}
    try:
        for impls, wrappers in CASES:
            timers, registered = _statements(fw, impls, wrappers)
            numbers = {}
            for variant, timer in timers.items():
                once = timer.timeit(number=200) / 200
                numbers[variant] = max(int(sample_seconds / max(once, 1e-9)), 200)
            samples: dict[str, list[float]] = {variant: [] for variant in timers}
            for index in range(rounds):
                order = list(timers)
                shift = index % len(order)
                for variant in order[shift:] + order[:shift]:
                    seconds = timers[variant].timeit(number=numbers[variant])
                    samples[variant].append(seconds / numbers[variant] * 1e9)
            results[f"{impls}+{wrappers}"] = {"impls": impls, "wrappers": wrappers, "ns": samples, "loops": numbers}
            for plugin in registered:
                fw.plugin_manager.unregister(plugin)
    finally:
        fw.shutdown()
    return results


def rows(results: Mapping[str, Any]) -> list[Any]:
    """Turn :func:`measure`'s samples into table rows of per-round ratios."""
    from bench.harness import Row, ratios

    made = []
    for case in results.values():
        impls, wrappers, ns = case["impls"], case["wrappers"], case["ns"]
        label = f"K={impls}" + (f"+{wrappers} wrappers" if wrappers else "")
        detail = ", ".join(f"{variant} {statistics.median(ns[variant]):.0f}" for variant in VARIANTS) + " ns"
        made += [
            Row("dispatch", f"fw.hook / raw pluggy, {label}", ratios(ns["fw.hook"], ns["pluggy"]), "x", HOOK_LIMIT),
            Row(
                "dispatch",
                f"fw.invoke / plain loop, {label}",
                ratios(ns["fw.invoke"], ns["plain"]),
                "x",
                invoke_limit(impls, wrappers),
                detail,
            ),
            Row("dispatch", f"raw pluggy / plain loop, {label}", ratios(ns["pluggy"], ns["plain"]), "x"),
        ]
    return made


def main(argv: list[str]) -> int:
    project, rounds, sample_ms = Path(argv[0]), int(argv[1]), float(argv[2])
    sys.stdout.write(json.dumps(measure(project, rounds, sample_ms / 1000)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
