"""Dispatch: nanoseconds per ``fw.invoke`` against a raw pluggy call of the same hook.

For K implementations of ``spoc_invoke`` (SPOC's built-in, which calls the
component, and K - 1 that return ``None``), with and without wrappers:

- ``fw.invoke``: ``fw.invoke("views", "app0000.view_0", 1)``;
- ``pluggy``: ``fw.plugin_manager.hook.spoc_invoke(framework=fw,
  component=..., args=(1,), kwargs={})``, the same hook and the same
  implementations called through pluggy's relay, the component already at hand;
- ``plain loop``: a Python loop over K plain functions doing the same work
  (with wrappers, nested inside as many plain functions), for context.

A fourth row times one lifecycle step through ``spoc_run_step`` (pluggy, with
SPOC's built-in as the only implementation) against calling the step's action
directly. Times are CPU time (``time.process_time``), interleaved round by
round. Run as ``python -m bench.dispatch PROJECT ROUNDS SAMPLE_MS`` in a
fresh process; it prints JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any, Final

__all__ = ["CASES", "measure", "rows"]

CASES: Final = ((1, 0), (10, 0), (100, 0), (10, 3))
VARIANTS: Final = ("plain", "pluggy", "fw.invoke")
INVOKE_LIMIT: Final = 1.1  # issue 12: fw.invoke over a raw pluggy call of the same hook
COMPONENT: Final = ("views", "app0000.view_0")


def _observer(component: Any, args: Any, kwargs: Any) -> None:
    return None


def _call(component: Any, args: Any, kwargs: Any) -> Any:
    return component(*args, **kwargs)


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


def _plugins(impls: int, wrappers: int) -> list[object]:
    """Plugin objects adding K - 1 observers and the wrappers to ``spoc_invoke`` (the built-in is the K-th)."""
    import spoc

    def observer(self: object, component: Any) -> None:
        return None

    def wrapper(self: object) -> Generator[None, Any, Any]:
        return (yield)

    def plugin(method: Callable[..., Any], wrapper: bool = False) -> object:
        return type("BenchPlugin", (), {"spoc_invoke": spoc.hookimpl(wrapper=wrapper)(method)})()

    return [plugin(observer) for _ in range(impls - 1)] + [plugin(wrapper, wrapper=True) for _ in range(wrappers)]


def _timers(fw: Any, impls: int, wrappers: int) -> dict[str, timeit.Timer]:
    kind, name = COMPONENT
    names = {
        "fw": fw,
        "hook": fw.plugin_manager.hook,
        "chain": _plain(impls, wrappers),
        "component": fw.get_component(kind, name),
        "args": (1,),
        "kwargs": {},
        "kind": kind,
        "name": name,
    }
    statements = {
        "plain": "chain(component, args, kwargs)",
        "pluggy": "hook.spoc_invoke(framework=fw, component=component, args=args, kwargs=kwargs)",
        "fw.invoke": "fw.invoke(kind, name, 1)",
    }
    for variant, statement in statements.items():
        result = eval(statement, names)  # noqa: S307 - our own fixed statements, checked before timing
        if result != 1:
            raise AssertionError(f"{variant} returned {result!r}, not the component's result")
    return {
        variant: timeit.Timer(statement, time.process_time, globals=names) for variant, statement in statements.items()
    }


def _step_timers(fw: Any) -> dict[str, timeit.Timer]:
    import spoc

    step = spoc.Step("a step", int)
    names = {"hook": fw.plugin_manager.hook, "fw": fw, "step": step, "action": step.run}
    return {
        "direct": timeit.Timer("action()", time.process_time, globals=names),
        "spoc_run_step": timeit.Timer(
            "hook.spoc_run_step(framework=fw, step=step, undo=False)", time.process_time, globals=names
        ),
    }


def _sample(timers: Mapping[str, timeit.Timer], rounds: int, sample_seconds: float) -> dict[str, list[float]]:
    """Nanoseconds per call of each timer, interleaved round by round, rotating who goes first."""
    numbers = {}
    for variant, timer in timers.items():
        once = timer.timeit(number=200) / 200
        numbers[variant] = max(int(sample_seconds / max(once, 1e-9)), 200)
    samples: dict[str, list[float]] = {variant: [] for variant in timers}
    order = list(timers)
    for index in range(rounds):
        shift = index % len(order)
        for variant in order[shift:] + order[:shift]:
            samples[variant].append(timers[variant].timeit(number=numbers[variant]) / numbers[variant] * 1e9)
    return samples


def measure(project: Path, rounds: int, sample_seconds: float) -> dict[str, Any]:
    """Start the project, then time every case's variants interleaved; return ns per call samples."""
    from spoc.framework import Framework

    fw = Framework(project).startup()
    results: dict[str, Any] = {}
    try:
        for impls, wrappers in CASES:
            registered = _plugins(impls, wrappers)
            for plugin in registered:
                fw.plugin_manager.register(plugin)
            try:
                samples = _sample(_timers(fw, impls, wrappers), rounds, sample_seconds)
            finally:
                for plugin in registered:
                    fw.plugin_manager.unregister(plugin)
            results[f"{impls}+{wrappers}"] = {"impls": impls, "wrappers": wrappers, "ns": samples}
        results["step"] = {"ns": _sample(_step_timers(fw), rounds, sample_seconds)}
    finally:
        fw.shutdown()
    return results


def rows(results: Mapping[str, Any]) -> list[Any]:
    """Turn :func:`measure`'s samples into table rows of per-round ratios."""
    from bench.harness import Row, ratios

    made = []
    for key, case in results.items():
        ns = case["ns"]
        if key == "step":
            made.append(
                Row(
                    "dispatch",
                    "lifecycle step through spoc_run_step / its action called directly",
                    ratios(ns["spoc_run_step"], ns["direct"]),
                    "x",
                    detail=f"direct {statistics.median(ns['direct']):.0f} ns, "
                    f"spoc_run_step {statistics.median(ns['spoc_run_step']):.0f} ns",
                )
            )
            continue
        impls, wrappers = case["impls"], case["wrappers"]
        label = f"K={impls}" + (f"+{wrappers} wrappers" if wrappers else "")
        detail = ", ".join(f"{variant} {statistics.median(ns[variant]):.0f}" for variant in VARIANTS) + " ns"
        made += [
            Row(
                "dispatch",
                f"fw.invoke / raw pluggy call, {label}",
                ratios(ns["fw.invoke"], ns["pluggy"]),
                "x",
                INVOKE_LIMIT,
                detail,
            ),
            Row("dispatch", f"raw pluggy call / plain loop, {label}", ratios(ns["pluggy"], ns["plain"]), "x"),
        ]
    return made


def main(argv: list[str]) -> int:
    project, rounds, sample_ms = Path(argv[0]), int(argv[1]), float(argv[2])
    sys.stdout.write(json.dumps(measure(project, rounds, sample_ms / 1000)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
