"""Upstream: this SPOC against upstream SPOC 0.3.0 and 0.9.0, side by side on Python 3.13.

Upstream's wheels need Python 3.13 (0.3.0) or 3.12 (0.9.0), and upstream is
never a dependency of this project: the section makes three venvs of its own
with a Python 3.13 it finds (``--python313``), under ``.venv-bench/`` at the
repository root: ``upstream-0.3.0`` and ``upstream-0.9.0`` (``pip install
spoc==X`` from the package index, once) and ``spoc-py3.13`` (this
repository's SPOC, built as a wheel and installed as users get it, refreshed
on every run). When they cannot be made (no 3.13, offline), the section is
skipped and its rows say why.

Each framework gets the same project in its own idiom (:mod:`bench.workloads`):
N apps x 3 modules x 5 components, views and services importing their
models, a no-op startup and shutdown hook per module kind (upstream 0.3.0
collects components only for kinds with one). Whole processes, interleaved
round by round: each framework's run, each one's floor (its declared
dependencies, then the same module files through a stand-in for the
framework's decorators), ``python -c pass`` and ``import pydantic_settings``.
A framework's own work is its run less its floor. SPOC runs as installed,
with plugin autoload on (its venv has no plugins: discovery runs and finds
none).
"""

from __future__ import annotations

import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import BenchError, Row, Stat, child_env, compile_bytecode, interleave, run_process
from bench.workloads import CHECK_VARIABLE, make_project

__all__ = ["UPSTREAM", "Interpreters", "find_python313", "measure", "prepare", "summary"]

UPSTREAM: Final = ("0.3.0", "0.9.0")
FRAMEWORKS: Final = ("spoc", *UPSTREAM)
FLAVOUR: Final = "plain"  # the floor three times lighter than with dataclasses: less noise in run - floor
OWN_LIMIT: Final = 1.0  # issue 12: SPOC's own work below each upstream's, at every N
# Whole-process wall time, what the issue asks for; and CPU time (user + system), which other work on
# the machine does not stretch as much.
CLOCKS: Final = {"wall": "seconds", "cpu": "cpu"}
_PIP_TIMEOUT: Final = 600
_REPO: Final = Path(__file__).resolve().parent.parent
_SPOC_SOURCES: Final = ("pyproject.toml", "README.md", "spoc")
_CHECK: Final = "components"  # what the run scripts print in a check run


@dataclass(frozen=True)
class Interpreters:
    """The Python 3.13 interpreter of each venv: ``spoc`` and one per upstream version."""

    spoc: str
    upstream: Mapping[str, str]

    def of(self, framework: str) -> str:
        return self.spoc if framework == "spoc" else self.upstream[framework]


def find_python313(explicit: str | None = None) -> str | None:
    """Return a working Python 3.13: ``explicit``, else ``python3.13`` on PATH, else a pyenv one.

    Each candidate is asked for its version and its real executable (a pyenv shim may exist
    and still not run).
    """
    candidates = [explicit] if explicit else [shutil.which("python3.13")]
    if not explicit:
        candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")), reverse=True)
    code = "import sys; print(sys.version_info[:2] == (3, 13), sys.executable)"
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-c", code], capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
        except OSError:
            continue
        answer = done.stdout.split()
        if done.returncode == 0 and answer[:1] == ["True"]:
            return answer[1]
    return None


def _run(command: Sequence[str], what: str, **options: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - the section's own commands
        list(command), capture_output=True, text=True, check=False, timeout=_PIP_TIMEOUT, **options
    )
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise BenchError(f"{what} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done


def _venv(path: Path, python313: str) -> str:
    python = path / "bin" / "python"
    if not python.exists():
        shutil.rmtree(path, ignore_errors=True)
        _run([python313, "-m", "venv", str(path)], f"creating the venv {path}")
    return str(python)


def _installed_version(python: str, distribution: str) -> str | None:
    code = f"import importlib.metadata as m\ntry: print(m.version({distribution!r}))\nexcept Exception: pass"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip() or None


def _spoc_wheel(folder: Path, python313: str) -> Path:
    """Build this repository's SPOC as a wheel, from a copy of its sources (never a stale ``build/``)."""
    source = folder / "source"
    source.mkdir()
    for name in _SPOC_SOURCES:
        origin = _REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    wheels = folder / "wheels"
    # With this interpreter's setuptools, offline; else pip's isolated build, which downloads setuptools.
    try:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                str(wheels),
                str(source),
            ],
            "building SPOC's wheel",
        )
    except BenchError:
        _run(
            [python313, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
            "building SPOC's wheel",
        )
    (wheel,) = wheels.glob("spoc-*.whl")
    return wheel


def prepare(venvs: Path, python313: str, log: Callable[[str], None] = print) -> Interpreters:
    """Make (or reuse) the three venvs; refresh this repository's SPOC in its own.

    Raises:
        BenchError: a venv could not be made or a package not installed; the message says which.
    """
    upstream = {}
    for version in UPSTREAM:
        python = _venv(venvs / f"upstream-{version}", python313)
        if _installed_version(python, "spoc") != version:
            log(f"upstream: pip install spoc=={version} into {venvs / f'upstream-{version}'}")
            _run([python, "-m", "pip", "install", "-q", f"spoc=={version}"], f"pip install spoc=={version}")
        upstream[version] = python
    python = _venv(venvs / "spoc-py3.13", python313)
    with tempfile.TemporaryDirectory(prefix="spoc-wheel-") as scratch:
        wheel = _spoc_wheel(Path(scratch), python313)
        deps = subprocess.run([python, "-c", "import pluggy, pydantic_settings"], capture_output=True, check=False)  # noqa: S603
        if deps.returncode != 0:
            log(f"upstream: installing SPOC and its dependencies into {venvs / 'spoc-py3.13'}")
            _run([python, "-m", "pip", "install", "-q", str(wheel)], "pip install SPOC's wheel")
        else:  # its dependencies are there: no index needed
            _run(
                [python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                "pip install SPOC's wheel",
            )
    return Interpreters(python, upstream)


def _check(python: str, script: Path, expected: int) -> None:
    """Run a script once with the check variable set; it must report every component collected."""
    result = run_process([python, str(script)], env=child_env({CHECK_VARIABLE: "1"}, autoload=True), capture=True)
    counted = [line.split()[1] for line in result.stdout.splitlines() if line.startswith(_CHECK)]
    if counted != [str(expected)]:
        raise BenchError(f"{script} reported {counted or 'nothing'}, expected {_CHECK} {expected}")


def _commands(size: int, root: Path, interpreters: Interpreters) -> dict[str, tuple[list[str], Path]]:
    commands: dict[str, tuple[list[str], Path]] = {}
    for framework in FRAMEWORKS:
        project = make_project(root, size, FLAVOUR, framework, hooks=True, stand_in=True)
        python = interpreters.of(framework)
        compile_bytecode(python, project.path)
        _check(python, project.run_script, project.components)
        commands[framework] = ([python, str(project.run_script)], project.path)
        commands[f"{framework} floor"] = ([python, str(project.floor_script)], project.path)
    commands["pass"] = ([interpreters.spoc, "-c", "pass"], root)
    commands["pydantic_settings"] = ([interpreters.spoc, "-c", "import pydantic_settings"], root)
    return commands


def measure(
    root: Path, sizes: Sequence[int], rounds: Mapping[int, int], interpreters: Interpreters, log: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    """Generate the three projects at every size, run them interleaved; return rows and raw seconds.

    The raw samples are ``{N: {"wall" | "cpu": {process: [seconds per round]}}}``.
    """
    env = child_env(autoload=True)
    raw: dict[str, Any] = {}
    for size in sizes:
        log(f"upstream: N={size}, spoc / 0.3.0 / 0.9.0 and their floors, Python 3.13")
        commands = _commands(size, root / f"n{size}", interpreters)
        for argv, cwd in commands.values():  # page cache; not measured
            run_process(argv, env=env, cwd=cwd, capture=True)
        runs = {
            name: partial(run_process, argv, env=env, cwd=cwd, capture=True) for name, (argv, cwd) in commands.items()
        }
        samples = interleave(runs, rounds[size])
        raw[str(size)] = {
            clock: {name: [getattr(sample, attribute) for sample in values] for name, values in samples.items()}
            for clock, attribute in CLOCKS.items()
        }
    return rows(raw), raw


def _own(samples: Mapping[str, list[float]], framework: str) -> list[float]:
    return [run - floor for run, floor in zip(samples[framework], samples[f"{framework} floor"], strict=True)]


def _ms(values: Sequence[float]) -> float:
    return statistics.median(values) * 1000


def _price(samples: Mapping[str, list[float]]) -> list[float]:
    return [top - bottom for top, bottom in zip(samples["pydantic_settings"], samples["pass"], strict=True)]


def rows(raw: Mapping[str, Mapping[str, Mapping[str, list[float]]]]) -> list[Row]:
    """The table rows: SPOC's own work against each upstream's, per N and clock; the price of pydantic-settings."""
    made: list[Row] = []
    price: dict[str, list[float]] = {clock: [] for clock in CLOCKS}
    for size, clocks in raw.items():
        for clock, samples in clocks.items():
            price[clock] += _price(samples)
            spoc = _own(samples, "spoc")
            for version in UPSTREAM:
                theirs = _own(samples, version)
                name = f"SPOC own / {version} own, N={size}, {clock} time"
                per_round = [mine / other for mine, other in zip(spoc, theirs, strict=True) if other > 0]
                if not per_round or statistics.median(theirs) <= 0:
                    made.append(Row.skipped("upstream", name, f"{version}'s own work is not above zero"))
                    continue
                stat = Stat(
                    statistics.median(spoc) / statistics.median(theirs), min(per_round), max(per_round), len(per_round)
                )
                detail = f"own work: spoc {_ms(spoc):.0f} ms, {version} {_ms(theirs):.0f} ms (run - floor, medians)"
                made.append(Row("upstream", name, stat, "x", OWN_LIMIT, detail))
    if price["wall"]:
        made.append(
            Row(
                "upstream",
                "import pydantic_settings over python -c pass (Python 3.13), wall time",
                Stat.of([value * 1000 for value in price["wall"]]),
                "ms",
                detail=f"CPU time {_ms(price['cpu']):.0f} ms; in SPOC's floor: the price of typed settings, "
                "once per process",
            )
        )
    return made


def skipped(why: str) -> list[Row]:
    """The rows of a skipped section."""
    return [Row.skipped("upstream", "SPOC against upstream 0.3.0 and 0.9.0, Python 3.13", why)]


def summary(raw: Mapping[str, Mapping[str, Mapping[str, list[float]]]]) -> str:
    """A table of medians in ms: each framework's floor, run and own work per N and clock; pydantic-settings."""
    header = ["N", "clock"]
    for name in FRAMEWORKS:
        header += [f"{name} floor", f"{name} run", f"{name} own"]
    header.append("pydantic-settings")
    lines = [header]
    for size, clocks in raw.items():
        for clock, samples in clocks.items():
            line = [size, clock]
            for name in FRAMEWORKS:
                own = _ms(_own(samples, name))
                line += [f"{_ms(samples[f'{name} floor']):.0f}", f"{_ms(samples[name]):.0f}", f"{own:.0f}"]
            lines.append([*line, f"{_ms(_price(samples)):.0f}"])
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in lines)
