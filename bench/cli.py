"""Section 4: the wall time of ``python -m spoc plugins`` and ``--help`` against ``python -c pass``.

Run in a small generated project, with installed plugins off
(``SPOC_DISABLE_PLUGIN_AUTOLOAD=1``) and on (whatever the running venv has
installed is loaded and listed).
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import Row, child_env, interleave, ratios, run_process

__all__ = ["measure"]

LIMITS: Final = {"plugins": 4.0, "--help": 2.5}


def measure(project: Path, rounds: int, log: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """Time the commands interleaved with the floor; return table rows and raw samples."""
    log("cli: python -m spoc plugins / --help")
    python = sys.executable
    off, on = child_env(), child_env(autoload=True)
    commands = {
        "pass": ([python, "-c", "pass"], off),
        "plugins, autoload off": ([python, "-m", "spoc", "plugins"], off),
        "plugins, autoload on": ([python, "-m", "spoc", "plugins"], on),
        "--help, autoload off": ([python, "-m", "spoc", "--help"], off),
        "--help, autoload on": ([python, "-m", "spoc", "--help"], on),
    }
    for argv, env in commands.values():  # bytecode caches; not measured
        run_process(argv, env=env, cwd=project)
    runs = {name: partial(run_process, argv, env=env, cwd=project) for name, (argv, env) in commands.items()}
    samples = {name: [result.seconds for result in results] for name, results in interleave(runs, rounds).items()}
    floor = samples["pass"]
    made = [
        Row(
            "cli",
            f"python -m spoc {name} / python -c pass",
            ratios(samples[name], floor),
            "x",
            LIMITS[name.split(",")[0]],
            f"pass {statistics.median(floor) * 1000:.0f} ms, command {statistics.median(samples[name]) * 1000:.0f} ms",
        )
        for name in commands
        if name != "pass"
    ]
    return made, samples
