"""The benchmark suite still runs: its generator, harness and table, on a tiny project.

Structure only (rows, JSON keys, the import order the floor uses); never
timings, which depend on the machine.
"""

from __future__ import annotations

import importlib
import json
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


def test_startup_section_prints_a_table_and_writes_json(bench: ModuleType, tmp_path: Path) -> None:
    from bench.harness import format_table, write_json
    from bench.run import Plan, run

    plan = Plan(sizes=(2,), rounds={2: 1}, phase_rounds={2: 1}, dispatch_rounds=1, sample_ms=1)
    rows, raw = run(plan, ["startup"], tmp_path / "work", log=lambda message: None)

    names = [row.name for row in rows]
    for flavour in ("dataclass", "plain"):
        assert f"whole process / floor, {flavour}, N=2" in names
        assert f"SPOC own per module (whole process), {flavour}, N=2" in names
        assert f"in-process total, {flavour}, N=2" in names
        assert f"peak RSS / floor, {flavour}, N=2" in names
    assert {row.section for row in rows} == {"startup", "memory"}
    assert all(row.verdict in ("pass", "miss", "-") for row in rows)

    table = format_table(rows)
    assert table.splitlines()[0].split()[:4] == ["section", "measure", "median", "min-max"]
    assert len([line for line in table.splitlines() if line.startswith(("startup", "memory"))]) == len(rows)

    output = tmp_path / "results" / "latest.json"
    write_json(output, rows, {"python": sys.version}, raw)
    document = json.loads(output.read_text(encoding="utf-8"))
    assert set(document) == {"meta", "rows", "raw"}
    assert set(document["rows"][0]) >= {"section", "name", "unit", "median", "low", "high", "limit", "verdict"}
    assert set(document["raw"]["startup"]) == {"dataclass/2", "plain/2"}


def test_unknown_section_is_a_usage_error(bench: ModuleType) -> None:
    from bench.run import main

    with pytest.raises(SystemExit) as raised:
        main(["--sections", "startup,nope"])
    assert raised.value.code == 2
