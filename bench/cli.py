"""CLI: the wall time of the inspection commands against ``python -c pass``.

``python -m spoc plugins`` (the issue's target), ``hooks`` and ``--help``,
run in a small generated project, with installed plugins off
(``SPOC_DISABLE_PLUGIN_AUTOLOAD=1``) and, for ``plugins``, on (whatever the
running venv has installed is loaded and listed).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import Row, child_env, interleave, median_ms, ratios, run_process

__all__ = ["measure"]

PLUGINS_LIMIT: Final = 4.0  # issue 12: spoc plugins over python -c pass


def measure(project: Path, rounds: int, log: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """Time the commands interleaved with the floor; return table rows and raw samples."""
    log("cli: python -m spoc plugins / hooks / --help")
    python = sys.executable
    off, on = child_env(), child_env(autoload=True)
    commands = {
        "pass": ([python, "-c", "pass"], off),
        "plugins, autoload off": ([python, "-m", "spoc", "plugins"], off),
        "plugins, autoload on": ([python, "-m", "spoc", "plugins"], on),
        "hooks, autoload off": ([python, "-m", "spoc", "hooks"], off),
        "--help, autoload off": ([python, "-m", "spoc", "--help"], off),
    }
    for argv, env in commands.values():  # bytecode caches and page cache; not measured
        run_process(argv, env=env, cwd=project)
    runs = {name: partial(run_process, argv, env=env, cwd=project) for name, (argv, env) in commands.items()}
    results = interleave(runs, rounds)
    samples = {name: [result.seconds for result in values] for name, values in results.items()}
    cpu = {name: [result.cpu for result in values] for name, values in results.items()}
    floor = samples["pass"]
    made = []
    for name in commands:
        if name == "pass":
            continue
        by_cpu = ratios(cpu[name], cpu["pass"])
        made.append(
            Row(
                "cli",
                f"python -m spoc {name} / python -c pass",
                ratios(samples[name], floor),
                "x",
                PLUGINS_LIMIT if name.startswith("plugins") else None,
                f"pass {median_ms(floor)}, command {median_ms(samples[name])}; CPU time {by_cpu.median:.2f}x "
                f"({by_cpu.low:.2f}-{by_cpu.high:.2f})",
            )
        )
    return made, {"wall": samples, "cpu": cpu}
