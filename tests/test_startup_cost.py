"""What a start costs, guarded by counts rather than clocks.

The benchmarks under ``bench/`` measure time; these tests pin down the
mechanisms behind the numbers, so a change that brings the cost back fails
on any machine: no Schema module is scanned with ``dir()``, lifecycle steps
do not go through pluggy's generic caller when nothing wraps them, the
cyclic garbage collector rests during the bulk import, and a missing module
is found by the import itself.
"""

from __future__ import annotations

import builtins
import gc
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from conftest import ProjectFactory, run_python

import spoc
from spoc.errors import ModuleMissingError, StartupError
from spoc.framework import Framework, Schema

SCHEMA = Schema(modules=["models", "views"], dependencies={"views": ["models"]})


def app_files(app: str, *, hookimpl: bool = False) -> dict[str, str]:
    """An app with tagged models and views; ``hookimpl`` adds a spoc_startup to its views."""
    views = "import spoc\n\n@spoc.component\ndef index():\n    return 'index'\n"
    if hookimpl:
        views += "\n@spoc.hookimpl\ndef spoc_startup(framework):\n    STARTED.append(framework)\n\nSTARTED = []\n"
    return {
        f"apps/{app}/__init__.py": "",
        f"apps/{app}/models.py": "import spoc\n\n@spoc.component\nclass Post:\n    pass\n",
        f"apps/{app}/views.py": views,
    }


@pytest.fixture
def dir_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the app modules that anything passed to ``dir()``."""
    calls: list[str] = []
    real_dir = builtins.dir

    def recording_dir(*args: Any) -> list[str]:
        if args and isinstance(args[0], ModuleType) and args[0].__name__.startswith("apps."):
            calls.append(args[0].__name__)
        return real_dir(*args)

    monkeypatch.setattr(builtins, "dir", recording_dir)
    yield calls


def test_no_app_module_is_scanned_with_dir_unless_it_holds_hook_implementations(
    make_project: ProjectFactory, dir_calls: list[str]
) -> None:
    root = make_project({**app_files("blog"), **app_files("shop", hookimpl=True)}, apps=["blog", "shop"])

    with Framework(root, SCHEMA) as fw:
        assert fw.components.models.keys() == {"blog.Post", "shop.Post"}
        assert len(fw.modules["shop.views"].STARTED) == 1

    # pluggy reads the one module that holds a hookimpl when registering it; nothing else is scanned.
    assert dir_calls == ["apps.shop.views"]


def test_lifecycle_steps_bypass_pluggys_generic_caller_when_nothing_wraps_them(make_project: ProjectFactory) -> None:
    root = make_project({**app_files("blog")}, apps=["blog"])
    fw = Framework(root, SCHEMA)
    through_pluggy: list[str] = []
    fw.plugin_manager.add_hookcall_monitoring(lambda name, impls, kwargs: through_pluggy.append(name), lambda *_: None)

    fw.startup()
    fw.shutdown()

    assert "spoc_run_step" not in through_pluggy
    assert fw.hot_hook("spoc_run_step").accelerated


def test_a_wrapper_added_later_still_sees_every_step(make_project: ProjectFactory) -> None:
    root = make_project({**app_files("blog")}, apps=["blog"])
    seen: list[str] = []

    class Spy:
        @spoc.hookimpl(wrapper=True)
        def spoc_run_step(self, step: Any, undo: bool) -> Any:
            seen.append(("undo " if undo else "") + step.kind)
            return (yield)

    fw = Framework(root, SCHEMA).startup().shutdown()
    fw.plugin_manager.register(Spy())
    fw.startup().shutdown()

    assert seen.count("import") == seen.count("undo import") == 2


def test_the_garbage_collector_rests_during_startup_and_resumes_after(make_project: ProjectFactory) -> None:
    files = app_files("blog")
    files["apps/blog/models.py"] += "import gc\n\ndef initialize():\n    DURING.append(gc.isenabled())\n\nDURING = []\n"
    root = make_project(files, apps=["blog"])
    assert gc.isenabled()

    with Framework(root, SCHEMA) as fw:
        assert fw.modules["blog.models"].DURING == [False]
        assert gc.isenabled()
    assert gc.isenabled()


def test_the_garbage_collector_resumes_after_a_failed_startup(make_project: ProjectFactory) -> None:
    files = app_files("blog")
    files["apps/blog/views.py"] += "\ndef initialize():\n    raise RuntimeError('no database')\n"
    root = make_project(files, apps=["blog"])

    with pytest.raises(StartupError, match="no database"):
        Framework(root, SCHEMA).startup()

    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off(make_project: ProjectFactory) -> None:
    root = make_project(app_files("blog"), apps=["blog"])
    gc.disable()
    try:
        Framework(root, SCHEMA).startup().shutdown()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_folder_without_code_is_a_missing_module_not_a_namespace_package(make_project: ProjectFactory) -> None:
    files = app_files("blog")
    del files["apps/blog/views.py"]
    files["apps/blog/views/README.txt"] = "templates live here\n"
    root = make_project(files, apps=["blog"])

    with pytest.raises(ModuleMissingError, match="views"):
        Framework(root, SCHEMA).startup()

    fw = Framework(root, SCHEMA, strict=False).startup()
    assert fw.import_order == ["blog.models", "blog.views"]
    assert list(fw.modules) == ["blog.models"]
    fw.shutdown()


@pytest.mark.parametrize("source", ["toml", "environment"])
def test_pause_gc_false_leaves_the_collector_running(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    files = app_files("blog")
    files["apps/blog/models.py"] += "import gc\n\ndef initialize():\n    DURING.append(gc.isenabled())\n\nDURING = []\n"
    root = make_project(files, apps=["blog"])
    if source == "toml":
        toml = root / "config" / "spoc.toml"
        toml.write_text(toml.read_text().replace("[spoc]\n", "[spoc]\npause_gc = false\n", 1))
    else:
        monkeypatch.setenv("SPOC_PAUSE_GC", "0")

    with Framework(root, SCHEMA) as fw:
        assert fw.settings.pause_gc is False
        assert fw.modules["blog.models"].DURING == [True]


def test_objects_the_application_froze_stay_frozen_and_spoc_leaves_none_frozen(make_project: ProjectFactory) -> None:
    root = make_project(app_files("blog"), apps=["blog"])
    Framework(root, SCHEMA).startup().shutdown()
    assert gc.get_freeze_count() == 0

    gc.freeze()  # an application preparing to fork, say
    try:
        frozen = gc.get_freeze_count()
        Framework(root, SCHEMA).startup().shutdown()
        # Not unfrozen (that would leave 0); a few frozen objects may have been freed meanwhile.
        assert frozen // 2 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_a_start_imports_neither_logging_nor_json_until_the_application_does(make_project: ProjectFactory) -> None:
    root = make_project(app_files("blog"), apps=["blog"])
    script = f"""
        import sys
        from spoc.framework import Framework, Schema
        fw = Framework({str(root)!r}, Schema(modules=['models', 'views']), strict=False).startup()
        fw.shutdown()
        print(' '.join(name for name in ('logging', 'json', 'pydantic') if name in sys.modules))
    """
    env = {**os.environ, "SPOC_DISABLE_PLUGIN_AUTOLOAD": "1"}
    # The first start scans the installed distributions (the metadata library may import json
    # for that, as on 3.13) and writes the entry-point cache; the second is a start as usual.
    run_python(script, env=env)

    assert run_python(script, env=env).split() == []


def test_importing_the_framework_builds_no_dataclass_but_the_public_ones() -> None:
    # A dataclass costs ~1 ms at import (its methods are generated and exec'd), so internal classes are plain.
    script = """
        import dataclasses, sys
        import spoc.framework
        print(' '.join(sorted(f'{module.__name__}.{name}' for module in list(sys.modules.values())
            if module.__name__.split('.')[0] == 'spoc' for name, obj in vars(module).items()
            if isinstance(obj, type) and obj.__module__ == module.__name__ and dataclasses.is_dataclass(obj))))
    """

    assert run_python(script).split() == [
        "spoc.components.ComponentInfo",
        "spoc.lifecycle.Step",
        "spoc.plugins.PluginRecord",
        "spoc.schema.Schema",
        "spoc.worker_spec.WorkerSpec",
    ]


def test_spoc_log_records_reach_a_logging_setup_made_after_the_framework(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    files = app_files("blog")
    del files["apps/blog/views.py"]
    fw = Framework(make_project(files, apps=["blog"]), SCHEMA, strict=False)

    with caplog.at_level("INFO", logger="spoc"):
        fw.startup()
    fw.shutdown()

    assert any("skipping blog.views" in record.getMessage() for record in caplog.records)
    assert any(record.name == "spoc" and "started" in record.getMessage() for record in caplog.records)
