"""Removed: what each mechanism removed in issue 12 had saved, measured against the commit before.

Run only when asked, with a worktree of that commit: ``python -m bench
removed --before PATH``. The two trees run side by side in one session, on
this interpreter, each from an environment folder put on ``PYTHONPATH`` with
``python -S`` (:func:`bench.workloads.make_dist_env`): the same dependencies,
the same ~20 or ~320 distributions, only SPOC's sources differ. Every
comparison is interleaved round by round; a saving is the current tree's
time less the earlier tree's, per round.

Mechanisms: the generated dispatcher (per ``fw.invoke`` call and per
lifecycle step), the entry-point cache (a warm discovery in a fresh process),
the hand-written validator of the core keys (a Framework construction in a
fresh process, now on pydantic-settings), the lazy logger (``import
logging``), slot classes instead of dataclasses (per class, at import) and
the hand-made terminal width (``import shutil``). Then a few whole
measures for context: ``import spoc``, ``spoc plugins``, a whole start.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import BenchError, Row, Stat, child_env, compile_bytecode, interleave, run_process
from bench.workloads import make_dist_env, make_project

__all__ = ["TREES", "class_costs", "measure"]

TREES: Final = ("before", "after")
DISCOVERY: Final = {"before": "spoc.discovery", "after": "spoc.plugins.discovery"}
_IMPORTERS: Final = {"import spoc": ["-c", "import spoc"], "spoc plugins": ["-m", "spoc", "plugins"]}
STEP_CALLS: Final = 6002  # at N = 1,000: an import step per module at startup, its undo at shutdown, and the registry's

# Per call, in-process: the best of five timeit runs.
_INVOKE: Final = """\
import json, sys, timeit
from spoc.framework import Framework
from spoc.lifecycle import Step
fw = Framework(sys.argv[1]).startup()
names = {
    "fw": fw, "hook": fw.plugin_manager.hook, "step": Step("a step", int), "args": (1,), "kwargs": {},
    "component": fw.get_component("views", "app0000.view_0"),
}
statements = {
    "invoke": "fw.invoke('views', 'app0000.view_0', 1)",
    "invoke through pluggy": "hook.spoc_invoke(framework=fw, component=component, args=args, kwargs=kwargs)",
    "step": "fw._run_step(step, False)",
    "step through pluggy": "hook.spoc_run_step(framework=fw, step=step, undo=False)",
}
out = {name: min(timeit.Timer(code, globals=names).repeat(5, 20000)) / 20000 * 1e9 for name, code in statements.items()}
fw.shutdown()
print(json.dumps(out))
"""
_DISCOVER: Final = """\
import importlib, sys, time
began = time.perf_counter()
find_entry_points = importlib.import_module(sys.argv[1]).find_entry_points
imported = time.perf_counter()
found = find_entry_points()
done = time.perf_counter()
print(imported - began, done - imported, len(found))
"""
_CONSTRUCT: Final = """\
import sys, time
began = time.perf_counter()
from spoc.framework import Framework
imported = time.perf_counter()
Framework(sys.argv[1])
done = time.perf_counter()
watched = ("logging", "json", "dataclasses", "shutil", "pydantic", "pydantic_settings", "importlib_metadata")
classes = sum(
    1
    for module in list(sys.modules.values())
    if getattr(module, "__name__", "").startswith("spoc")
    for value in list(vars(module).values())
    if isinstance(value, type) and value.__module__ == module.__name__ and "__dataclass_fields__" in vars(value)
)
print(imported - began, done - imported, classes, ",".join(name for name in watched if name in sys.modules))
"""
_DATACLASS: Final = """
@dataclass(frozen=True, slots=True)
class Node:
    app: str
    kind: str
    label: str = ""
"""
_SLOTTED: Final = """
class Node:
    __slots__ = ("app", "kind", "label")

    def __init__(self, app, kind, label=""):
        self.app, self.kind, self.label = app, kind, label

    def __eq__(self, other):
        if not isinstance(other, Node):
            return NotImplemented
        return (self.app, self.kind, self.label) == (other.app, other.kind, other.label)

    def __hash__(self):
        return hash((self.app, self.kind, self.label))

    def __repr__(self):
        return f"Node(app={self.app!r}, kind={self.kind!r}, label={self.label!r})"
"""


def class_costs(rounds: int) -> dict[str, list[float]]:
    """Microseconds to create one class, a frozen slotted dataclass against the hand-written slotted class.

    The class statements are compiled once and executed, as an import from bytecode does.
    """
    from dataclasses import dataclass

    codes = {
        name: compile(source, f"<{name}>", "exec") for name, source in (("dataclass", _DATACLASS), ("slots", _SLOTTED))
    }
    timers = {name: timeit.Timer(partial(exec, code, {"dataclass": dataclass})) for name, code in codes.items()}
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for index in range(rounds):
        for name in list(timers)[index % 2 :] + list(timers)[: index % 2]:
            samples[name].append(min(timers[name].repeat(3, 300)) / 300 * 1e6)
    return samples


class _Trees:
    """Runs code in either tree's environment, the same interpreter and dependencies for both."""

    def __init__(self, root: Path, before: Path, count: int) -> None:
        here = Path(__file__).resolve().parent.parent / "spoc"
        self.python = sys.executable
        # `python -c` puts the working folder first on sys.path: it must hold no `spoc`.
        self.neutral = root / "cwd"
        self.neutral.mkdir(parents=True, exist_ok=True)
        self.envs = {
            tree: child_env({"PYTHONPATH": str(make_dist_env(root / f"{tree}_{count}", count, source))})
            for tree, source in (("before", before / "spoc"), ("after", here))
        }

    def run(self, tree: str, argv: Sequence[str], cwd: Path | None = None, **extra: str) -> Any:
        env = {**self.envs[tree], **extra}
        return run_process([self.python, "-S", *argv], env=env, cwd=cwd or self.neutral, capture=True)


def _pairs(
    trees: _Trees, make: Callable[[str], Any], rounds: int, extra: Mapping[str, Callable[[], Any]] | None = None
) -> dict[str, list[Any]]:
    runs: dict[str, Callable[[], Any]] = {tree: partial(make, tree) for tree in TREES}
    runs.update(extra or {})
    return interleave(runs, rounds)


def _saved(after: Sequence[float], before: Sequence[float], scale: float = 1.0) -> Stat:
    return Stat.of([(top - bottom) * scale for top, bottom in zip(after, before, strict=True)])


def _ms(values: Sequence[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def _dispatcher(trees: _Trees, project: Path, rounds: int) -> tuple[list[Row], dict[str, Any]]:
    def make(tree: str) -> dict[str, float]:
        result = trees.run(tree, ["-c", _INVOKE, str(project)], cwd=project)
        return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    samples = _pairs(trees, make, rounds)
    ns = {tree: {key: [sample[key] for sample in samples[tree]] for key in samples[tree][0]} for tree in TREES}
    rows = []
    for what, key, per in (("fw.invoke, per call", "invoke", None), ("a lifecycle step", "step", STEP_CALLS)):
        saved = _saved(ns["after"][key], ns["before"][key], 1 / 1000)
        detail = (
            f"before {statistics.median(ns['before'][key]):.0f} ns (through pluggy in the same process "
            f"{statistics.median(ns['before'][key + ' through pluggy']):.0f} ns), "
            f"after {statistics.median(ns['after'][key]):.0f} ns"
        )
        if per:
            detail += f"; x {per} step calls of a start and shutdown at N=1,000: {saved.median * per / 1000:.1f} ms"
        rows.append(Row("removed", f"generated dispatcher: {what}", saved, "us", detail=detail))
    return rows, ns


def _cache(trees: Mapping[int, _Trees], rounds: int, raw: dict[str, Any]) -> list[Row]:
    """A warm discovery in a fresh process, before (a cache hit) and after (the metadata library)."""
    rows: list[Row] = []
    for count, env in trees.items():
        with tempfile.TemporaryDirectory(prefix="spoc-cache-") as cache:

            def discover(tree: str, env: _Trees = env, cache: str = cache) -> tuple[float, float]:
                result = env.run(tree, ["-c", _DISCOVER, DISCOVERY[tree]], XDG_CACHE_HOME=cache)
                return result.seconds, float(result.stdout.split()[1])

            for tree in TREES:  # the first run writes the earlier tree's cache: what follows is warm
                discover(tree)
            samples = _pairs(env, discover, rounds)
        process = {tree: [sample[0] for sample in samples[tree]] for tree in TREES}
        lookup = {tree: [sample[1] for sample in samples[tree]] for tree in TREES}
        raw[f"cache/{count}"] = {"process": process, "lookup": lookup}
        rows.append(
            Row(
                "removed",
                f"entry-point cache: a warm discovery in a fresh process, ~{count} dists",
                _saved(lookup["after"], lookup["before"], 1000),
                "ms",
                detail=f"find_entry_points() before {_ms(lookup['before'])}, after {_ms(lookup['after'])}; "
                f"whole process before {_ms(process['before'])}, after {_ms(process['after'])}",
            )
        )
    return rows


def measure(root: Path, before: Path, rounds: int, log: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """Measure every mechanism, before against after; return rows and raw samples."""
    if not (before / "spoc" / "dispatch.py").is_file():
        raise BenchError(f"{before} is not a tree of the commit before the removals (no spoc/dispatch.py)")
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    small = make_project(root / "projects", 1, "dataclass").path
    compile_bytecode(sys.executable, small)
    trees = {count: _Trees(root / "envs", before, count) for count in (20, 320)}
    for tree in TREES:  # bytecode of both trees; not measured
        trees[20].run(tree, ["-c", "import spoc.framework"], cwd=small)

    log("removed: the generated dispatcher")
    made, raw["dispatcher"] = _dispatcher(trees[20], small, rounds)
    rows += made

    log("removed: the entry-point cache")
    rows += _cache(trees, rounds, raw)

    log("removed: the core-keys validator; the lazy logger; the terminal width")
    env = trees[20]

    def construct(tree: str) -> tuple[float, float, int, str]:
        result = env.run(tree, ["-c", _CONSTRUCT, str(small)], cwd=small)
        imported, built, classes, modules = [*result.stdout.split(), ""][:4]
        return float(imported) + float(built), result.seconds, int(classes), modules

    def bare(code: str) -> Callable[[], float]:
        return lambda: float(env.run("after", ["-c", code]).seconds)

    codes = {"pass": "pass", "pydantic_settings": "import pydantic_settings", "logging": "import logging"}
    codes["shutil"] = "import shutil"
    samples = _pairs(env, construct, rounds, {name: bare(code) for name, code in codes.items()})
    built = {tree: [sample[0] for sample in samples[tree]] for tree in TREES}
    whole = {tree: [sample[1] for sample in samples[tree]] for tree in TREES}
    facts = {tree: {"dataclasses": samples[tree][0][2], "modules": samples[tree][0][3]} for tree in TREES}
    over = {name: _saved(samples[name], samples["pass"], 1000) for name in codes if name != "pass"}
    raw["construct"] = {"in_process": built, "process": whole, "facts": facts, "bare": {n: samples[n] for n in codes}}
    rows.append(
        Row(
            "removed",
            "core-keys validator -> pydantic-settings: import spoc.framework + Framework() in a fresh process",
            _saved(built["after"], built["before"], 1000),
            "ms",
            detail=f"before {_ms(built['before'])}, after {_ms(built['after'])} (whole process {_ms(whole['before'])} "
            f"-> {_ms(whole['after'])}); of which import pydantic_settings {over['pydantic_settings'].median:.0f} ms",
        )
    )
    importers = {tree: {what: _imported(env, tree, argv, small) for what, argv in _IMPORTERS.items()} for tree in TREES}
    raw["imported"] = {
        tree: {what: sorted(found) for what, found in value.items()} for tree, value in importers.items()
    }
    for tree in TREES:
        importers[tree]["Framework()"] = set(facts[tree]["modules"].split(","))

    def who(module: str) -> str:
        return "; ".join(
            f"{what}: " + "/".join("yes" if module in importers[tree][what] else "no" for tree in TREES)
            for what in importers["after"]
        )

    rows.append(
        Row(
            "removed",
            "lazy logger: import logging in a fresh process",
            over["logging"],
            "ms",
            detail=f"imports logging, before/after: {who('logging')}",
        )
    )
    log("removed: slot classes instead of dataclasses")
    classes = class_costs(max(rounds, 5))
    raw["classes"] = classes
    per_class = _saved(classes["dataclass"], classes["slots"])
    more = facts["after"]["dataclasses"] - facts["before"]["dataclasses"]
    rows.append(
        Row(
            "removed",
            "slot classes -> dataclasses: per class, at import",
            per_class,
            "us",
            detail=f"dataclass {statistics.median(classes['dataclass']):.0f} us, slotted class "
            f"{statistics.median(classes['slots']):.0f} us; SPOC's dataclasses on the start path: before "
            f"{facts['before']['dataclasses']}, after {facts['after']['dataclasses']} "
            f"(+{more}: {more * per_class.median / 1000:.2f} ms a start)",
        )
    )

    log("removed: the terminal width; import spoc, spoc plugins, a whole start")
    rows.append(
        Row(
            "removed",
            "hand-made terminal width -> shutil: import shutil in a fresh process",
            over["shutil"],
            "ms",
            detail=f"imports shutil, before/after: {who('shutil')}",
        )
    )
    rows += _context(env, root, small, rounds, raw)
    return rows, raw


def _imported(trees: _Trees, tree: str, argv: Sequence[str], project: Path) -> set[str]:
    """The top-level modules a command imports, from ``-X importtime``."""
    env = {**trees.envs[tree], "SPOC_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [trees.python, "-S", "-X", "importtime", *argv]
    done = subprocess.run(command, env=env, cwd=project, capture_output=True, text=True, check=False)  # noqa: S603
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}


def _context(trees: _Trees, root: Path, small: Path, rounds: int, raw: dict[str, Any]) -> list[Row]:
    """``import spoc``, ``spoc plugins`` and a whole start at N = 1,000, before and after."""
    large = make_project(root / "projects", 1000, "plain").path
    compile_bytecode(sys.executable, large)
    commands = {
        "import spoc": (["-c", "import spoc"], small),
        "spoc plugins": (["-m", "spoc", "plugins"], small),
        "whole start, N=1000 plain": ([str(large / "run.py")], large),
    }
    rows = []
    for name, (argv, cwd) in commands.items():

        def seconds(tree: str, argv: list[str] = argv, cwd: Path = cwd) -> float:
            return float(trees.run(tree, argv, cwd=cwd).seconds)

        samples = _pairs(trees, seconds, max(rounds - 2, 3) if "N=1000" in name else rounds)
        raw[f"context/{name}"] = samples
        rows.append(
            Row(
                "removed",
                f"context: {name}, after - before",
                _saved(samples["after"], samples["before"], 1000),
                "ms",
                detail=f"before {_ms(samples['before'])}, after {_ms(samples['after'])}",
            )
        )
    return rows
