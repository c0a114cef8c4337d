"""The entry-point cache: real ``*.dist-info`` folders on a tmp sys.path entry, the cache under a tmp XDG_CACHE_HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ProjectFactory
from test_discovery import install_fake_distribution

from spoc import entry_point_cache
from spoc.discovery import find_entry_points
from spoc.entry_point_cache import IndexedEntryPoint, cache_file
from spoc.framework import Framework

# Far in the past, so that no folder looks as if it had just changed.
BASE_MTIME_NS = 1_600_000_000 * 1_000_000_000


def set_mtime(folder: Path, step: int) -> None:
    """Give the folder a distinct mtime, as pip's adding or removing a dist-info would on any filesystem."""
    mtime = BASE_MTIME_NS + step * 1_000_000_000
    os.utime(folder, ns=(mtime, mtime))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    install_fake_distribution(
        folder, "spoc-test-audit", "1.2.0", {"audit": "spoc_test_audit:Plugin"}, {"spoc_test_audit.py": PLUGIN}
    )
    set_mtime(folder, 0)
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every real scan of the installed distributions."""
    calls: list[str] = []
    scan = entry_point_cache.scan_entry_points

    def counting(group: str) -> list[IndexedEntryPoint]:
        calls.append(group)
        return scan(group)

    monkeypatch.setattr(entry_point_cache, "scan_entry_points", counting)
    return calls


PLUGIN = """
    import spoc

    class Plugin:
        @spoc.hookimpl
        def spoc_startup(self, framework):
            pass
"""


def spoc_test_names() -> list[str]:
    return sorted(ep.name for ep in find_entry_points() if (ep.distribution or "").startswith("spoc-test"))


def the_cache_file() -> Path:
    path = cache_file()
    assert path is not None
    return Path(path)


def test_a_cold_call_scans_and_writes_the_cache_under_the_user_cache_directory(
    site: Path, cache_home: Path, scans: list[str]
) -> None:
    found = find_entry_points()

    assert scans == ["spoc.plugins"]
    [audit] = [ep for ep in found if ep.name == "audit"]
    assert (audit.value, audit.distribution, audit.version) == ("spoc_test_audit:Plugin", "spoc-test-audit", "1.2.0")
    path = the_cache_file()
    assert path.parent == cache_home / "spoc"
    assert path.name.startswith("entry-points-") and path.suffix == ".json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert ["audit", "spoc_test_audit:Plugin", "spoc-test-audit", "1.2.0"] in stored["groups"]["spoc.plugins"]
    assert [str(site), BASE_MTIME_NS] in stored["key"]["path"]
    assert list(cache_home.glob("spoc/*.tmp")) == []


def test_a_warm_call_returns_the_same_entry_points_without_scanning(
    site: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = find_entry_points()

    def no_scan(group: str) -> list[IndexedEntryPoint]:
        raise AssertionError("the warm call scanned")

    monkeypatch.setattr(entry_point_cache, "scan_entry_points", no_scan)
    assert find_entry_points() == cold


def test_a_warm_cache_gives_the_framework_the_same_plugin_records(
    site: Path, cache_home: Path, make_project: ProjectFactory, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(apps=[])

    def records() -> list[tuple[object, ...]]:
        with Framework(project) as fw:
            return [(r.name, r.source, r.distribution, r.version, r.status, r.hooks) for r in fw.plugin_records]

    monkeypatch.setenv("SPOC_NO_CACHE", "1")
    uncached = records()
    monkeypatch.delenv("SPOC_NO_CACHE")
    cold, warm = records(), records()

    assert uncached == cold == warm
    assert ("audit", "entrypoint", "spoc-test-audit", "1.2.0", "active", ["spoc_startup"]) in warm
    assert len(scans) == 2  # SPOC_NO_CACHE, then the cold call; the warm one read the cache


def test_installing_a_distribution_invalidates_the_cache(site: Path, cache_home: Path, scans: list[str]) -> None:
    assert spoc_test_names() == ["audit"]

    install_fake_distribution(site, "spoc-test-extra", "0.1", {"extra": "spoc_test_extra"}, {"spoc_test_extra.py": ""})
    set_mtime(site, 1)

    assert spoc_test_names() == ["audit", "extra"]
    assert len(scans) == 2


def test_uninstalling_a_distribution_invalidates_the_cache(site: Path, cache_home: Path, scans: list[str]) -> None:
    assert spoc_test_names() == ["audit"]

    shutil.rmtree(site / "spoc_test_audit-1.2.0.dist-info")
    set_mtime(site, 2)

    assert spoc_test_names() == []
    assert len(scans) == 2


def test_a_new_sys_path_folder_invalidates_the_cache(
    site: Path, cache_home: Path, tmp_path: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert spoc_test_names() == ["audit"]
    other = tmp_path / "other-site"
    other.mkdir()
    install_fake_distribution(other, "spoc-test-other", "3.0", {"other": "spoc_test_other"}, {})
    set_mtime(other, 0)

    monkeypatch.syspath_prepend(str(other))

    assert spoc_test_names() == ["audit", "other"]
    assert len(scans) == 2


def test_no_cache_variable_neither_reads_nor_writes_the_cache(
    site: Path, cache_home: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOC_NO_CACHE", "1")
    assert spoc_test_names() == ["audit"]
    assert not the_cache_file().exists()

    monkeypatch.delenv("SPOC_NO_CACHE")
    find_entry_points()
    before = the_cache_file().read_bytes()
    monkeypatch.setenv("SPOC_NO_CACHE", "yes")
    assert spoc_test_names() == ["audit"]

    assert len(scans) == 3
    assert the_cache_file().read_bytes() == before


@pytest.mark.parametrize("content", ["{not json", '{"format_version": 1, "key": 3, "groups": {}}', "\udcff", ""])
def test_a_corrupt_cache_file_falls_back_to_scanning_and_is_rewritten(
    site: Path, cache_home: Path, scans: list[str], content: str
) -> None:
    path = the_cache_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("utf-8", "surrogateescape"))

    assert spoc_test_names() == ["audit"]
    assert spoc_test_names() == ["audit"]

    assert len(scans) == 1
    assert json.loads(path.read_text(encoding="utf-8"))["format_version"] == 1


def test_malformed_rows_for_the_group_fall_back_to_scanning(site: Path, cache_home: Path, scans: list[str]) -> None:
    find_entry_points()
    path = the_cache_file()
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["groups"]["spoc.plugins"] = [["audit", 42]]
    path.write_text(json.dumps(stored), encoding="utf-8")

    assert spoc_test_names() == ["audit"]
    assert len(scans) == 2


def test_an_unreadable_cache_file_falls_back_to_scanning(site: Path, cache_home: Path, scans: list[str]) -> None:
    the_cache_file().mkdir(parents=True)  # a folder where the file should be: opening it fails, even as root

    assert spoc_test_names() == ["audit"]
    assert spoc_test_names() == ["audit"]
    assert len(scans) == 2


def test_a_cache_directory_that_cannot_be_created_does_not_raise(
    site: Path, tmp_path: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))

    assert spoc_test_names() == ["audit"]
    assert spoc_test_names() == ["audit"]
    assert len(scans) == 2


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_a_read_only_cache_directory_does_not_raise(site: Path, cache_home: Path, scans: list[str]) -> None:
    (cache_home / "spoc").mkdir(parents=True)
    (cache_home / "spoc").chmod(0o500)
    try:
        assert spoc_test_names() == ["audit"]
        assert spoc_test_names() == ["audit"]
    finally:
        (cache_home / "spoc").chmod(0o700)
    assert len(scans) == 2
    assert list((cache_home / "spoc").iterdir()) == []


def test_refresh_rescans_and_rewrites_the_cache(site: Path, cache_home: Path, scans: list[str]) -> None:
    find_entry_points()
    path = the_cache_file()
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["groups"]["spoc.plugins"] = [["ghost", "spoc_test_ghost", "spoc-test-ghost", "0.0"]]
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert spoc_test_names() == ["ghost"]  # the cache is trusted while its key matches

    refreshed = find_entry_points(refresh=True)

    assert "audit" in [ep.name for ep in refreshed]
    assert spoc_test_names() == ["audit"]
    assert len(scans) == 2


def test_a_folder_changed_within_the_last_second_on_a_coarse_filesystem_is_not_cached(
    site: Path, cache_home: Path, scans: list[str]
) -> None:
    find_entry_points()
    assert the_cache_file().exists()
    # A whole-second mtime this recent could stay the same through another install in the same second.
    now = time.time_ns() // 1_000_000_000 * 1_000_000_000
    os.utime(site, ns=(now, now))

    find_entry_points()

    assert not the_cache_file().exists()
    assert len(scans) == 2


def test_each_interpreter_has_its_own_cache_file(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cache_file()
    monkeypatch.setattr(sys, "executable", sys.executable + "-other")

    assert first is not None and cache_file() not in (None, first)


def test_a_relative_xdg_cache_home_is_ignored_and_no_home_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    fallback = cache_file({"XDG_CACHE_HOME": "relative"})

    assert fallback is not None
    assert Path(fallback).parent == Path(os.path.expanduser("~"), ".cache", "spoc")
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert cache_file({}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("spoc_test_load", "module"),
        ("spoc_test_load:Outer", "Outer"),
        ("spoc_test_load : Outer.Inner", "Inner"),
        ("spoc_test_load.sub:thing", "thing"),
    ],
)
def test_a_cached_entry_point_loads_what_importlib_metadata_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    package = tmp_path / "spoc_test_load"
    package.mkdir()
    (package / "__init__.py").write_text("NAME = 'module'\nclass Outer:\n    class Inner: ...\n", encoding="utf-8")
    (package / "sub.py").write_text("thing = 'thing'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    loaded = IndexedEntryPoint("x", value, "spoc.plugins").load()
    real = entry_point_cache._metadata_entry_point("x", value, "spoc.plugins").load()

    assert loaded is real
    assert getattr(loaded, "NAME", getattr(loaded, "__name__", loaded)) == expected


def test_an_entry_point_value_the_parser_refuses_fails_as_importlib_metadata_fails() -> None:
    bad = "not a valid value!"
    with pytest.raises(Exception) as ours:
        IndexedEntryPoint("x", bad, "spoc.plugins").load()
    with pytest.raises(Exception) as theirs:
        entry_point_cache._metadata_entry_point("x", bad, "spoc.plugins").load()
    assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))


def test_spoc_plugins_refresh_runs_in_a_subprocess(make_project: ProjectFactory, cache_home: Path) -> None:
    project = make_project(apps=[])
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}

    result = subprocess.run(
        [sys.executable, "-m", "spoc", "--project", str(project), "plugins", "--refresh", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["format_version"] == 1
    assert list((cache_home / "spoc").glob("entry-points-*.json"))
