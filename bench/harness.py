"""Run things side by side and turn samples into rows of ratios.

Ratios are taken per round (A and B measured back to back, their order
alternating), then summarised by median and min-max: on a busy machine the
drift hits both sides of a round alike, so the ratio carries over where the
absolute times do not.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = [
    "PEAK_RSS_CODE",
    "BenchError",
    "ProcessResult",
    "Row",
    "Stat",
    "child_env",
    "compile_bytecode",
    "format_table",
    "interleave",
    "median_ms",
    "ratios",
    "run_json",
    "run_process",
    "write_json",
]

# The child processes see none of the developer's PYTHON*/SPOC_* settings.
_DROPPED_PREFIXES: Final = ("PYTHON", "SPOC_")

# Appended to a measured child's code: it prints its own peak RSS. wait4's ru_maxrss
# cannot be used for small children on Linux: it keeps the parent's high-water mark
# across fork and exec, so every child would seem as large as the suite itself.
PEAK_RSS_CODE: Final = """
try:
    with open("/proc/self/status", encoding="ascii") as _status:
        print(*[_line for _line in _status if _line.startswith("VmHWM:")], end="")
except OSError:
    pass
"""
_PEAK_RSS: Final = re.compile(r"^VmHWM:\s+(\d+) kB", re.MULTILINE)


class BenchError(RuntimeError):
    """A benchmark process failed; the message holds its command and stderr."""


@dataclass(frozen=True)
class Stat:
    """A median with the range of the samples it came from."""

    median: float
    low: float
    high: float
    samples: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        if not values:
            raise ValueError("no samples")
        return cls(statistics.median(values), min(values), max(values), len(values))


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    Attributes:
        section: the section that measured it (see :data:`bench.run.SECTIONS`).
        name: what was measured.
        stat: the value (a ratio when ``unit`` is ``"x"``); ``None`` when the
            measure was skipped, and ``detail`` says why.
        unit: ``"x"``, ``"us"``, ``"ns"``, ``"ms"``, ``"MiB"``.
        limit: the issue's target (the median must not exceed it), if any.
        detail: absolute numbers behind a ratio, for the reader.
    """

    section: str
    name: str
    stat: Stat | None
    unit: str
    limit: float | None = None
    detail: str = ""

    @classmethod
    def skipped(cls, section: str, name: str, why: str) -> Row:
        """A row for a measure that could not be taken, saying why."""
        return cls(section, name, None, "", detail=f"skipped: {why}")

    @property
    def verdict(self) -> str:
        """``pass`` or ``miss`` against the target, ``skip`` when not measured, ``-`` when there is no target."""
        if self.stat is None:
            return "skip"
        if self.limit is None:
            return "-"
        return "pass" if self.stat.median <= self.limit else "miss"

    @property
    def target(self) -> str:
        if self.limit is None:
            return ""
        sign = "+" if self.unit == "MiB" else ""
        return f"<= {sign}{_number(self.limit)}{self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            **(asdict(self.stat) if self.stat is not None else {}),
            "limit": self.limit,
            "verdict": self.verdict,
            "detail": self.detail,
        }


@dataclass
class ProcessResult:
    """Wall time of a whole child process, its CPU time (user + system) and its peak resident set size."""

    seconds: float
    max_rss: int = 0
    stdout: str = field(default="", repr=False)
    cpu: float = 0.0


def child_env(extra: Mapping[str, str] | None = None, *, autoload: bool = False) -> dict[str, str]:
    """Return the environment of a benchmark process.

    Installed plugins are off (``SPOC_DISABLE_PLUGIN_AUTOLOAD=1``) unless
    ``autoload``, so that whatever happens to be installed does not skew SPOC's numbers.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(_DROPPED_PREFIXES)}
    if not autoload:
        env["SPOC_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.update(extra or {})
    return env


def run_process(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, capture: bool = False
) -> ProcessResult:
    """Run a process to completion; return its wall and CPU times, its stdout if asked, and its peak RSS.

    The peak RSS is what the child printed with :data:`PEAK_RSS_CODE`, else
    (not Linux, or not asked) ``wait4``'s, an upper bound. The CPU time is
    ``wait4``'s, the child's own: on a busy machine it moves less than the
    wall time. Output goes to files, not pipes, so a child never waits on the
    parent while it is timed.
    """
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - the suite's own commands
            list(argv), env=dict(env), cwd=cwd, stdout=output if capture else subprocess.DEVNULL, stderr=errors
        )
        # wait4 rather than wait: the child's own rusage, not the sum over all children.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")[-3000:]
            raise BenchError(f"{' '.join(argv)} exited {process.returncode}:\n{message}")
        output.seek(0)
        stdout = output.read().decode(errors="replace")
    printed = _PEAK_RSS.search(stdout)
    # Both are KiB on Linux.
    peak = int(printed.group(1)) if printed else usage.ru_maxrss
    return ProcessResult(seconds, peak * 1024, stdout, usage.ru_utime + usage.ru_stime)


def compile_bytecode(python: str, folder: Path) -> None:
    """Write the bytecode caches of every file under ``folder`` for ``python``, before anything is timed.

    Otherwise the first measured process of each interpreter would compile the project, and
    ``PYTHONDONTWRITEBYTECODE`` in the caller's environment would make every one of them compile it.
    """
    command = [python, "-m", "compileall", "-q", str(folder)]
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def median_ms(seconds: Sequence[float]) -> str:
    """The median of samples in seconds, as ``"123 ms"``."""
    return f"{statistics.median(seconds) * 1000:.0f} ms"


def run_json(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> Any:
    """Run a child that prints one JSON document (its last line) on stdout; return it."""
    argv = list(argv)
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def interleave(variants: Mapping[str, Callable[[], Any]], rounds: int) -> dict[str, list[Any]]:
    """Run every variant once per round, rotating who goes first; return the samples by variant.

    Sample ``i`` of every variant comes from round ``i``, so ratios can be taken round by round.
    """
    names = list(variants)
    samples: dict[str, list[Any]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(variants[name]())
    return samples


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Stat:
    """The per-round ratios of two aligned sample lists."""
    return Stat.of([top / bottom for top, bottom in zip(numerators, denominators, strict=True)])


def _number(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(stat: Stat | None, unit: str) -> tuple[str, str]:
    if stat is None:
        return "-", ""
    suffix = "x" if unit == "x" else f" {unit}"
    return f"{_number(stat.median)}{suffix}", f"{_number(stat.low)}-{_number(stat.high)}"


def format_table(rows: Sequence[Row]) -> str:
    """Return the rows as one aligned text table, a rule between sections."""
    header = ["section", "measure", "median", "min-max", "target", "", "detail"]
    lines: list[list[str]] = [header]
    for row in rows:
        median, spread = _cell(row.stat, row.unit)
        lines.append([row.section, row.name, median, spread, row.target, row.verdict, row.detail])
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    out: list[str] = []
    previous = ""
    for number, line in enumerate(lines):
        if number > 0 and line[0] != previous:
            out.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
        previous = line[0] if number > 0 else previous
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return "\n".join(out)


def write_json(path: Path, rows: Sequence[Row], meta: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
    """Write the rows, the run's facts and every raw sample to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": dict(meta), "rows": [row.as_dict() for row in rows], "raw": dict(raw)}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
