"""Section 5, the import half: ``import spoc`` against a bare interpreter and ``import pluggy``.

Whole processes, interleaved: wall time and peak RSS of each.
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from typing import Any, Final

from bench.harness import PEAK_RSS_CODE, Row, Stat, child_env, interleave, ratios, run_process

__all__ = ["measure"]

TIME_LIMIT: Final = 1.2
RSS_LIMIT_MIB: Final = 4.0
MIB: Final = 2**20


def measure(rounds: int, log: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """Time the three interpreters interleaved; return table rows and raw samples."""
    log("memory: import spoc")
    python = sys.executable
    env = child_env()
    commands = {"pass": "pass", "pluggy": "import pluggy", "spoc": "import spoc"}
    for code in commands.values():  # bytecode caches; not measured
        run_process([python, "-c", code + PEAK_RSS_CODE], env=env, capture=True)
    runs = {
        name: partial(run_process, [python, "-c", code + PEAK_RSS_CODE], env=env, capture=True)
        for name, code in commands.items()
    }
    samples = interleave(runs, rounds)
    seconds = {name: [sample.seconds for sample in values] for name, values in samples.items()}
    rss = {name: [sample.max_rss for sample in values] for name, values in samples.items()}

    def ms(name: str) -> str:
        return f"{statistics.median(seconds[name]) * 1000:.0f} ms"

    def extra(name: str, base: str) -> Stat:
        return Stat.of([(top - bottom) / MIB for top, bottom in zip(rss[name], rss[base], strict=True)])

    made = [
        Row(
            "memory",
            "import spoc / import pluggy, wall time",
            ratios(seconds["spoc"], seconds["pluggy"]),
            "x",
            TIME_LIMIT,
            f"pluggy {ms('pluggy')}, spoc {ms('spoc')}",
        ),
        Row(
            "memory",
            "import spoc / python -c pass, wall time",
            ratios(seconds["spoc"], seconds["pass"]),
            "x",
            detail=f"pass {ms('pass')}",
        ),
        Row(
            "memory",
            "import spoc, RSS over a bare interpreter",
            extra("spoc", "pass"),
            "MiB",
            RSS_LIMIT_MIB,
            f"bare {statistics.median(rss['pass']) / MIB:.1f} MiB",
        ),
        Row("memory", "import spoc, RSS over import pluggy", extra("spoc", "pluggy"), "MiB"),
    ]
    return made, {name: [vars(sample) for sample in values] for name, values in samples.items()}
