"""Section 3: finding ``spoc.plugins`` entry points in a fresh process, ~20 and ~320 distributions.

Each round writes a fresh environment (so a future cache keyed on the paths
misses: "cold"), runs discovery in it twice ("cold", then "warm"), and runs
the two floors beside it: ``python -c pass`` and a process that only imports
the metadata library SPOC uses. Every process runs ``python -S`` with the
environment alone on ``PYTHONPATH``, so the venv's own packages are not seen.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from bench.harness import BenchError, ProcessResult, Row, Stat, child_env, ratios, run_process
from bench.workloads import make_dist_env

__all__ = ["METADATA_MODULE", "measure"]

METADATA_MODULE: Final = "importlib.metadata" if sys.version_info >= (3, 12) else "importlib_metadata"
WARM_LIMIT_MS: Final = 1.0
PLUGINS: Final = 3
# Prints how long the import and the discovery took, in-process, and how many plugins it found.
DISCOVER: Final = (
    "import time\n"
    "began = time.perf_counter()\n"
    "from spoc.plugins.discovery import find_entry_points\n"
    "imported = time.perf_counter()\n"
    "found = find_entry_points()\n"
    "done = time.perf_counter()\n"
    "print(imported - began, done - imported, len(found))\n"
)


def _discover(python: str, env: Mapping[str, str]) -> tuple[ProcessResult, float, float]:
    result = run_process([python, "-S", "-c", DISCOVER], env=env, capture=True)
    import_s, discover_s, found = result.stdout.split()
    if int(found) != PLUGINS:
        raise BenchError(f"discovery found {found} spoc.plugins entry points, expected {PLUGINS}")
    return result, float(import_s), float(discover_s)


def measure(
    root: Path, counts: Sequence[int], rounds: int, spoc_source: Path, log: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    """Run every count's rounds; return table rows and raw samples."""
    python = sys.executable
    made: list[Row] = []
    raw: dict[str, Any] = {}
    for count in counts:
        log(f"discovery: ~{count} distributions")
        samples: dict[str, list[float]] = {
            name: [] for name in ("pass", "metadata", "cold", "warm", "cold_ms", "warm_ms", "import_ms")
        }
        for index in range(rounds):
            env_dir = make_dist_env(root / f"dists_{count}_{index}", count, spoc_source, PLUGINS)
            env = child_env({"PYTHONPATH": str(env_dir), "XDG_CACHE_HOME": str(root / f"cache_{count}_{index}")})
            order = ["discover", "pass", "metadata"]
            shift = index % len(order)
            for name in order[shift:] + order[:shift]:
                if name == "pass":
                    samples["pass"].append(run_process([python, "-S", "-c", "pass"], env=env).seconds)
                elif name == "metadata":
                    command = [python, "-S", "-c", f"import {METADATA_MODULE}"]
                    samples["metadata"].append(run_process(command, env=env).seconds)
                else:
                    for state in ("cold", "warm"):
                        result, import_s, discover_s = _discover(python, env)
                        samples[state].append(result.seconds)
                        samples[f"{state}_ms"].append(discover_s * 1000)
                        samples["import_ms"].append(import_s * 1000)
        raw[str(count)] = samples
        label = f"~{count} dists"
        for state in ("cold", "warm"):
            made.append(
                Row(
                    "discovery",
                    f"discover process / python -c pass, {state}, {label}",
                    ratios(samples[state], samples["pass"]),
                    "x",
                    detail=f"pass {statistics.median(samples['pass']) * 1000:.0f} ms, "
                    f"discover {statistics.median(samples[state]) * 1000:.0f} ms (with import spoc)",
                )
            )
        made.append(
            Row(
                "discovery",
                f"import {METADATA_MODULE} / python -c pass, {label}",
                ratios(samples["metadata"], samples["pass"]),
                "x",
            )
        )
        made.append(
            Row(
                "discovery",
                f"find_entry_points() in-process, cold, {label}",
                Stat.of(samples["cold_ms"]),
                "ms",
                detail="first run: scans and writes the entry-point cache",
            )
        )
        made.append(
            Row(
                "discovery",
                f"find_entry_points() in-process, warm, {label}",
                Stat.of(samples["warm_ms"]),
                "ms",
                WARM_LIMIT_MS,
                "second run in the same environment: a cache hit",
            )
        )
    return made, raw
