"""Imports: ``import spoc`` against ``import pluggy``, and the one-off price of pydantic-settings.

Whole processes, interleaved: wall time and peak RSS of ``python -c pass``,
``import pluggy``, ``import spoc``, ``import pydantic_settings`` (what typed
settings cost, once per process: a ``Framework`` imports it) and
``import spoc.framework``.
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from typing import Any, Final

from bench.harness import PEAK_RSS_CODE, Row, Stat, child_env, interleave, median_ms, ratios, run_process

__all__ = ["measure"]

TIME_LIMIT: Final = 1.2  # issue 12: import spoc over import pluggy
MIB: Final = 2**20
COMMANDS: Final = {
    "pass": "pass",
    "pluggy": "import pluggy",
    "spoc": "import spoc",
    "pydantic_settings": "import pydantic_settings",
    "spoc.framework": "import spoc.framework",
}


def measure(rounds: int, log: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """Time the interpreters interleaved; return table rows and raw samples."""
    log("imports: import spoc, pluggy, pydantic_settings")
    python = sys.executable
    env = child_env()
    for code in COMMANDS.values():  # bytecode caches; not measured
        run_process([python, "-c", code + PEAK_RSS_CODE], env=env, capture=True)
    runs = {
        name: partial(run_process, [python, "-c", code + PEAK_RSS_CODE], env=env, capture=True)
        for name, code in COMMANDS.items()
    }
    samples = interleave(runs, rounds)
    seconds = {name: [sample.seconds for sample in values] for name, values in samples.items()}
    cpu = ratios([sample.cpu for sample in samples["spoc"]], [sample.cpu for sample in samples["pluggy"]])
    rss = {name: [sample.max_rss for sample in values] for name, values in samples.items()}

    def over_pass_ms(name: str) -> Stat:
        return Stat.of([(top - bottom) * 1000 for top, bottom in zip(seconds[name], seconds["pass"], strict=True)])

    def extra_mib(name: str, base: str) -> Stat:
        return Stat.of([(top - bottom) / MIB for top, bottom in zip(rss[name], rss[base], strict=True)])

    made = [
        Row(
            "imports",
            "import spoc / import pluggy, wall time",
            ratios(seconds["spoc"], seconds["pluggy"]),
            "x",
            TIME_LIMIT,
            f"pluggy {median_ms(seconds['pluggy'])}, spoc {median_ms(seconds['spoc'])}; CPU time {cpu.median:.2f}x "
            f"({cpu.low:.2f}-{cpu.high:.2f})",
        ),
        Row(
            "imports",
            "import spoc / python -c pass, wall time",
            ratios(seconds["spoc"], seconds["pass"]),
            "x",
            detail=f"pass {median_ms(seconds['pass'])}",
        ),
        Row(
            "imports",
            "import pydantic_settings, over python -c pass",
            over_pass_ms("pydantic_settings"),
            "ms",
            detail=f"+{extra_mib('pydantic_settings', 'pass').median:.1f} MiB; "
            "the price of typed settings, once per process",
        ),
        Row(
            "imports",
            "import spoc.framework, over python -c pass",
            over_pass_ms("spoc.framework"),
            "ms",
            detail="pydantic-settings included: the settings model is defined there",
        ),
        Row(
            "imports",
            "import spoc, RSS over a bare interpreter",
            extra_mib("spoc", "pass"),
            "MiB",
            detail=f"bare {statistics.median(rss['pass']) / MIB:.1f} MiB",
        ),
    ]
    return made, {name: [vars(sample) for sample in values] for name, values in samples.items()}
