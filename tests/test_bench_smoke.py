"""The benchmark suite still runs: its generator, harness and table, on tiny projects.

Structure only (rows, JSON keys, the import order the floor uses, what each
generated project's scripts report); never timings, which depend on the machine.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The ``bench`` package, importable from the repository root."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("bench")


def _check_run(script: Path) -> str:
    """Run a generated script as the suite does, with its check variable set; return its stdout."""
    from bench.harness import child_env
    from bench.workloads import CHECK_VARIABLE

    done = subprocess.run(
        [sys.executable, str(script)],
        env=child_env({CHECK_VARIABLE: "1"}),
        cwd=script.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("flavour", ["dataclass", "plain"])
def test_generated_project_floor_order_is_spocs_import_order(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavour: str
) -> None:
    from bench.workloads import make_project
    from spoc.framework import Framework

    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    project = make_project(tmp_path, 2, flavour)
    fw = Framework(project.path)
    modules = [name.removeprefix("apps.") for name in project.order if name.count(".") == 2]
    assert fw.import_order == modules
    fw.startup()
    try:
        assert {kind: len(getattr(fw.components, kind)) for kind in fw.components} == {
            "models": 10,
            "views": 10,
            "services": 10,
        }
    finally:
        fw.shutdown()


@pytest.mark.parametrize(("hooks", "stand_in"), [(False, False), (True, True)])
def test_spoc_project_collects_every_component_and_its_floor_imports_every_module(
    bench: ModuleType, tmp_path: Path, hooks: bool, stand_in: bool
) -> None:
    from bench.workloads import make_project

    project = make_project(tmp_path, 2, "dataclass", hooks=hooks, stand_in=stand_in)

    assert f"components {project.components}" in _check_run(project.run_script)
    assert f"modules {len(project.order)}" in _check_run(project.floor_script)


@pytest.mark.parametrize("framework", ["0.3.0", "0.9.0"])
def test_upstream_projects_floor_imports_every_module_through_the_stand_in(
    bench: ModuleType, tmp_path: Path, framework: str
) -> None:
    # Upstream itself is not installed here; the floor needs only the stand-in for its decorators.
    from bench.workloads import make_project

    project = make_project(tmp_path, 2, "plain", framework, stand_in=True)

    assert f"modules {len(project.order)}" in _check_run(project.floor_script)
    for script in project.path.glob("*.py"):  # run.py, and 0.9.0's framework.py: valid Python at least
        compile(script.read_text(encoding="utf-8"), str(script), "exec")


def test_startup_section_prints_a_table_and_writes_json(bench: ModuleType, tmp_path: Path) -> None:
    from bench.harness import format_table, write_json
    from bench.run import Plan, run

    plan = Plan(sizes=(2,), rounds={2: 1}, phase_rounds={2: 1}, dispatch_rounds=1, sample_ms=1)
    rows, raw = run(plan, ["startup"], tmp_path / "work", log=lambda message: None)

    names = [row.name for row in rows]
    for flavour in ("dataclass", "plain"):
        assert f"whole process / floor, wall time, {flavour}, N=2" in names
        assert f"whole process / floor, CPU time, {flavour}, N=2" in names
        assert f"SPOC own per module (whole process, CPU time), {flavour}, N=2" in names
        assert f"in-process total, {flavour}, N=2" in names
        assert f"peak RSS / floor, {flavour}, N=2" in names
    assert {row.section for row in rows} == {"startup", "imports"}
    assert all(row.verdict in ("pass", "miss", "-") for row in rows)

    table = format_table(rows)
    assert table.splitlines()[0].split()[:4] == ["section", "measure", "median", "min-max"]
    assert len([line for line in table.splitlines() if line.startswith(("startup", "imports"))]) == len(rows)

    output = tmp_path / "results" / "latest.json"
    write_json(output, rows, {"python": sys.version}, raw)
    document = json.loads(output.read_text(encoding="utf-8"))
    assert set(document) == {"meta", "rows", "raw"}
    assert set(document["rows"][0]) >= {"section", "name", "unit", "median", "low", "high", "limit", "verdict"}
    assert set(document["raw"]["startup"]) == {"dataclass/2", "plain/2"}


def test_dispatch_rows_compare_fw_invoke_with_pluggy_for_every_case(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import dispatch
    from bench.workloads import make_project

    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    project = make_project(tmp_path, 1, "dataclass")

    rows = dispatch.rows(dispatch.measure(project.path, 1, 0.0005))

    invoke = [row for row in rows if row.name.startswith("fw.invoke / raw pluggy call")]
    assert [row.name.rsplit(", ", 1)[1] for row in invoke] == ["K=1", "K=10", "K=100", "K=10+3 wrappers"]
    assert all(row.limit == dispatch.INVOKE_LIMIT for row in invoke)
    assert any(row.name.startswith("lifecycle step through spoc_run_step") for row in rows)


def test_upstream_rows_and_summary_compare_own_work(bench: ModuleType) -> None:
    from bench import upstream

    def samples(spoc_own: float, old_own: float, new_own: float) -> dict[str, list[float]]:
        return {
            "spoc": [1.0 + spoc_own] * 3,
            "spoc floor": [1.0] * 3,
            "0.3.0": [0.5 + old_own] * 3,
            "0.3.0 floor": [0.5] * 3,
            "0.9.0": [0.5 + new_own] * 3,
            "0.9.0 floor": [0.5] * 3,
            "pass": [0.01] * 3,
            "pydantic_settings": [0.11] * 3,
        }

    raw = {"10": {"wall": samples(0.01, 0.02, 0.04), "cpu": samples(0.03, 0.02, 0.04)}}

    rows = {row.name: row for row in upstream.rows(raw)}

    assert rows["SPOC own / 0.3.0 own, N=10, wall time"].verdict == "pass"
    assert rows["SPOC own / 0.3.0 own, N=10, cpu time"].verdict == "miss"
    assert rows["SPOC own / 0.9.0 own, N=10, cpu time"].verdict == "pass"
    assert rows["import pydantic_settings over python -c pass (Python 3.13), wall time"].stat is not None
    table = upstream.summary(raw)
    assert table.splitlines()[0].split()[:3] == ["N", "clock", "spoc"]
    assert len(table.splitlines()) == 3


def test_sections_that_cannot_run_are_rows_saying_why(bench: ModuleType, tmp_path: Path) -> None:
    from bench.harness import format_table
    from bench.run import QUICK, run

    rows, _ = run(QUICK, ["removed"], tmp_path, log=lambda message: None)

    (row,) = rows
    assert row.verdict == "skip"
    assert "--before" in row.detail
    assert "skip" in format_table(rows)


def test_unknown_section_is_a_usage_error(bench: ModuleType) -> None:
    from bench.run import main

    with pytest.raises(SystemExit) as raised:
        main(["startup", "nope"])
    assert raised.value.code == 2
