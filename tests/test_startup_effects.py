"""What a start leaves behind for the application: the garbage collector's state, missing modules, log records.

``pause_gc`` (on by default) holds the cyclic collector off while the modules
are imported; whatever happens, the application gets the collector back as it
left it.
"""

from __future__ import annotations

import gc

import pytest
from conftest import ProjectFactory

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
