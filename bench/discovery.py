"""Discovery: finding ``spoc.plugins`` entry points in a fresh process, ~20 and ~320 distributions.

SPOC asks the standard library's ``importlib.metadata`` and keeps no cache of
its own. Each round writes a fresh environment and runs, interleaved: SPOC's
discovery (``find_entry_points()``), the metadata library's own
``entry_points(group="spoc.plugins")``, a process that only imports the
library, and ``python -c pass``. Every process runs ``python -S`` with the
environment alone on ``PYTHONPATH``, so the venv's own packages are not seen, from
a folder that holds no ``spoc`` (``python -c`` imports from its working folder first).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import BenchError, ProcessResult, Row, Stat, child_env, interleave, ratios, run_process
from bench.workloads import make_dist_env

__all__ = ["METADATA_MODULE", "measure"]

METADATA_MODULE: Final = "importlib.metadata"
PLUGINS: Final = 3
# Each prints how long the import and the look-up took, in-process, and how many entry points it found.
_TIMED: Final = (
    "import time\n"
    "began = time.perf_counter()\n"
    "{imports}\n"
    "imported = time.perf_counter()\n"
    "found = {call}\n"
    "done = time.perf_counter()\n"
    "print(imported - began, done - imported, len(found))\n"
)
SPOC_CODE: Final = _TIMED.format(
    imports="from spoc.plugins.discovery import find_entry_points", call="find_entry_points()"
)
LIBRARY_CODE: Final = _TIMED.format(
    imports=f"import {METADATA_MODULE} as metadata", call='list(metadata.entry_points(group="spoc.plugins"))'
)


def _timed(code: str, python: str, env: Mapping[str, str], cwd: Path) -> tuple[ProcessResult, float]:
    result = run_process([python, "-S", "-c", code], env=env, cwd=cwd, capture=True)
    _, lookup_s, found = result.stdout.split()
    if int(found) != PLUGINS:
        raise BenchError(f"found {found} spoc.plugins entry points, expected {PLUGINS}")
    return result, float(lookup_s)


def measure(
    root: Path, counts: Sequence[int], rounds: int, spoc_source: Path, log: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    """Run every count's rounds; return table rows and raw samples."""
    python = sys.executable
    made: list[Row] = []
    raw: dict[str, Any] = {}
    for count in counts:
        log(f"discovery: ~{count} distributions")
        samples: dict[str, list[float]] = {name: [] for name in ("pass", "import", "spoc", "library")}
        lookups: dict[str, list[float]] = {"spoc": [], "library": []}
        for index in range(rounds):
            env_dir = make_dist_env(root / f"dists_{count}_{index}", count, spoc_source, PLUGINS)
            env = child_env({"PYTHONPATH": str(env_dir)})
            runs: dict[str, Callable[[], Any]] = {
                "pass": partial(run_process, [python, "-S", "-c", "pass"], env=env, cwd=root),
                "import": partial(run_process, [python, "-S", "-c", f"import {METADATA_MODULE}"], env=env, cwd=root),
                "spoc": partial(_timed, SPOC_CODE, python, env, root),
                "library": partial(_timed, LIBRARY_CODE, python, env, root),
            }
            runs["spoc"]()  # bytecode caches of the linked files; not measured
            names = list(runs)  # one round in each environment, who goes first rotating over the rounds
            shift = index % len(names)
            one = interleave({name: runs[name] for name in names[shift:] + names[:shift]}, 1)
            for name, (sample,) in one.items():
                process = sample
                if isinstance(sample, tuple):
                    process, lookup = sample
                    lookups[name].append(lookup)
                samples[name].append(process.seconds)
        raw[str(count)] = {"process": samples, "lookup": lookups}
        label = f"~{count} dists"
        made += [
            Row(
                "discovery",
                f"discovery process / python -S -c pass, {label}",
                ratios(samples["spoc"], samples["pass"]),
                "x",
                detail=f"pass {statistics.median(samples['pass']) * 1000:.0f} ms, import {METADATA_MODULE} "
                f"{statistics.median(samples['import']) * 1000:.0f} ms, "
                f"discovery {statistics.median(samples['spoc']) * 1000:.0f} ms (with import spoc)",
            ),
            Row(
                "discovery",
                f"find_entry_points() in-process, {label}",
                Stat.of([value * 1000 for value in lookups["spoc"]]),
                "ms",
                detail=f"{METADATA_MODULE}.entry_points(group=...) alone: "
                f"{statistics.median(lookups['library']) * 1000:.1f} ms",
            ),
            Row(
                "discovery",
                f"find_entry_points() / the library's entry_points(group=...), in-process, {label}",
                ratios(lookups["spoc"], lookups["library"]),
                "x",
                detail="SPOC's own part: names, versions and sys.path order of what the library finds",
            ),
        ]
    return made, raw
