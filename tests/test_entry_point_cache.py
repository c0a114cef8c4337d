"""The entry-point cache: real ``*.dist-info`` folders on a tmp sys.path entry, the cache under a tmp XDG_CACHE_HOME."""

from __future__ import annotations

import ast
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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


def stored_lines() -> list[str]:
    """The index's lines, without the checksum line."""
    *lines, checksum, after = the_cache_file().read_text(encoding="utf-8").split("\n")
    assert checksum.startswith("end\t") and after == ""
    return lines


def store_lines(lines: list[str]) -> None:
    """Write lines as the index, with a valid checksum: only what the lines say is wrong, if anything."""
    body = "".join(f"{line}\n" for line in lines).encode("utf-8")
    the_cache_file().write_bytes(body + b"end\t" + entry_point_cache._checksum(body) + b"\n")


def is_current_index(path: Path) -> bool:
    return path.read_bytes().startswith(b"spoc-entry-points\t2\t")


def test_a_cold_call_scans_and_writes_the_cache_under_the_user_cache_directory(
    site: Path, cache_home: Path, scans: list[str]
) -> None:
    found = find_entry_points()

    assert scans == ["spoc.plugins"]
    [audit] = [ep for ep in found if ep.name == "audit"]
    assert (audit.value, audit.distribution, audit.version) == ("spoc_test_audit:Plugin", "spoc-test-audit", "1.2.0")
    path = the_cache_file()
    assert path.parent == cache_home / "spoc"
    assert path.name.startswith("entry-points-") and path.suffix == ".txt"
    header, group, *entries = stored_lines()
    assert header.startswith(f"spoc-entry-points\t2\t{sys.executable}\t{sys.prefix}\t")
    assert f"\t{site}\t{BASE_MTIME_NS}\t" in f"{header}\t"
    assert group == "[spoc.plugins]"
    assert "audit\tspoc_test_audit:Plugin\tspoc-test-audit\t1.2.0" in entries
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


def test_a_dist_info_folder_without_metadata_does_not_stop_discovery(
    site: Path, cache_home: Path, scans: list[str]
) -> None:
    install_fake_distribution(site, "spoc-test-half", "0.1", {"half": "spoc_test_half"}, {"spoc_test_half.py": ""})
    (site / "spoc_test_half-0.1.dist-info" / "METADATA").unlink()  # a half-removed distribution
    set_mtime(site, 3)

    found = {entry.name: entry for entry in find_entry_points() if entry.name in ("audit", "half")}

    assert found["audit"].distribution == "spoc-test-audit"
    assert (found["half"].value, found["half"].distribution, found["half"].version) == ("spoc_test_half", None, None)


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


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n",
        b"\x00" * 512,  # what a crash can leave of a file whose blocks were never written
        random.Random(7).randbytes(1024),
        b"\xff\xfe\xfd\n",
        b'{"format_version": 1, "key": {}, "groups": {}}',  # the JSON index of earlier versions
        b"end\t0\n",
    ],
    ids=["empty", "newline", "zeros", "random-bytes", "invalid-utf8", "json", "trailer-only"],
)
def test_a_corrupt_cache_file_falls_back_to_scanning_and_is_rewritten(
    site: Path, cache_home: Path, scans: list[str], content: bytes
) -> None:
    path = the_cache_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    assert spoc_test_names() == ["audit"]
    assert spoc_test_names() == ["audit"]

    assert len(scans) == 1
    assert is_current_index(path)


def _replace_entry(old: str, new: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [new if line == old else line for line in lines]


AUDIT = "audit\tspoc_test_audit:Plugin\tspoc-test-audit\t1.2.0"
# Each turns an intact index into a damaged one, and stores it with a checksum that matches,
# so that only the parser can tell.
DAMAGE: dict[str, Callable[[list[str]], list[str]]] = {
    "another version": lambda lines: [lines[0].replace("spoc-entry-points\t2\t", "spoc-entry-points\t3\t"), *lines[1:]],
    "no version": lambda lines: [lines[0].replace("spoc-entry-points\t2\t", "spoc-entry-points\t"), *lines[1:]],
    "another interpreter": lambda lines: [lines[0].replace(sys.executable, sys.executable + "3"), *lines[1:]],
    "a tab in a field": _replace_entry(AUDIT, AUDIT.replace("audit", "au\tdit", 1)),
    "a newline in a field": _replace_entry(AUDIT, AUDIT.replace("audit", "au\ndit", 1)),
    "a missing field": _replace_entry(AUDIT, AUDIT.rpartition("\t")[0]),
    "an extra field": _replace_entry(AUDIT, AUDIT + "\textra"),
    "an unknown escape": _replace_entry(AUDIT, AUDIT.replace("audit", "au\\xdit", 1)),
    "a backslash at the end of a field": _replace_entry(AUDIT, AUDIT.replace("audit", "audit\\", 1)),
    "a name that is none": _replace_entry(AUDIT, AUDIT.replace("audit", "\\N", 1)),
    "an entry before any group": lambda lines: [lines[0], AUDIT, *lines[1:]],
    "a group twice": lambda lines: [*lines, "[spoc.plugins]"],
    "a group that is none": lambda lines: [*lines, "[\\N]"],
    "a line that is neither": lambda lines: [*lines, "spoc.plugins"],
    "an empty line": lambda lines: [*lines, ""],
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_index_with_a_valid_checksum_is_a_miss(
    site: Path, cache_home: Path, scans: list[str], damage: Callable[[list[str]], list[str]]
) -> None:
    find_entry_points()
    intact = stored_lines()
    assert AUDIT in intact
    store_lines(damage(intact))

    assert spoc_test_names() == ["audit"]
    assert spoc_test_names() == ["audit"]

    assert len(scans) == 2  # the damaged index was rescanned and replaced once
    assert stored_lines() == intact


@pytest.mark.parametrize(
    "cut",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data[:-1],  # no final newline
        lambda data: data[: data.rindex(b"end\t")],  # no checksum line
        lambda data: data.replace(b"audit", b"auDit", 1),  # a flipped bit
        lambda data: data.replace(b"spoc-test-audit", b"spoc-test-audit\x00", 1),
        lambda data: data[: data.rindex(b"\t") + 1] + b"%d\n" % (int(data[data.rindex(b"\t") + 1 : -1]) + 1),
    ],
    ids=["half", "last-byte", "checksum-line", "flipped-bit", "inserted-byte", "wrong-checksum"],
)
def test_a_truncated_or_altered_index_is_a_miss(
    site: Path, cache_home: Path, scans: list[str], cut: Callable[[bytes], bytes]
) -> None:
    find_entry_points()
    path = the_cache_file()
    intact = path.read_bytes()
    path.write_bytes(cut(intact))

    assert spoc_test_names() == ["audit"]
    assert spoc_test_names() == ["audit"]

    assert len(scans) == 2
    assert path.read_bytes() == intact


def test_fields_with_tabs_newlines_backslashes_and_no_distribution_come_back_unchanged(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = [
        IndexedEntryPoint("tab\tname", "mod:attr", "spoc.plugins", "dist\n2", "1\\0"),
        IndexedEntryPoint("\\N", "\\t", "spoc.plugins", None, None),
        IndexedEntryPoint("ünïcode", "mód", "spoc.plugins", "", "\udcff"),
        IndexedEntryPoint("[spoc.plugins]", "m", "spoc.plugins", "\\", "\\\\N"),
    ]
    calls: list[str] = []

    def scan(group: str) -> list[IndexedEntryPoint]:
        calls.append(group)
        return odd

    monkeypatch.setattr(entry_point_cache, "scan_entry_points", scan)

    assert find_entry_points() == odd
    assert find_entry_points() == odd
    assert calls == ["spoc.plugins"]


def test_an_index_that_cannot_be_written_is_removed_so_a_refresh_leaves_no_stale_one(
    site: Path, cache_home: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    find_entry_points()
    assert the_cache_file().exists()

    # A lone surrogate that utf-8 cannot carry, even with surrogateescape.
    unstorable = [IndexedEntryPoint("ghost", "mod\ud800", "spoc.plugins")]
    monkeypatch.setattr(entry_point_cache, "scan_entry_points", lambda group: unstorable)

    assert find_entry_points(refresh=True) == unstorable
    assert not the_cache_file().exists()
    assert list(cache_home.glob("spoc/*.tmp")) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_where_the_cache_file_should_be_does_not_block(
    site: Path, cache_home: Path, scans: list[str]
) -> None:
    path = the_cache_file()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)

    class Blocked(Exception):  # not an OSError, which the cache would take for a miss
        pass

    def blocked(signum: int, frame: object) -> None:
        raise Blocked("opening the cache blocked on a named pipe")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(10)
    try:
        assert spoc_test_names() == ["audit"]
        assert spoc_test_names() == ["audit"]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(scans) == 1  # os.replace put a regular file in the pipe's place
    assert is_current_index(path)


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
    store_lines(_replace_entry(AUDIT, "ghost\tspoc_test_ghost\tspoc-test-ghost\t0.0")(stored_lines()))
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


def test_two_import_paths_keep_two_indexes_so_alternating_never_rescans(
    site: Path, cache_home: Path, scans: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_project = tmp_path / "other-project"
    other_project.mkdir()
    first = cache_file()
    assert spoc_test_names() == ["audit"]
    monkeypatch.syspath_prepend(str(other_project))
    assert cache_file() != first
    assert spoc_test_names() == ["audit"]
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry != str(other_project)])

    assert cache_file() == first
    assert spoc_test_names() == ["audit"]
    assert len(scans) == 2  # once per import path; going back to the first is a hit


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
    assert list((cache_home / "spoc").glob("entry-points-*.txt"))


# Prints which of the modules that read distribution metadata were loaded before and after the call.
WARM_PATH_PROBE = """
import sys
from spoc.discovery import find_entry_points
heavy = ("json", "importlib_metadata", "importlib.metadata")
before = [name for name in heavy if name in sys.modules]
names = sorted(entry_point.name for entry_point in find_entry_points())
print(repr((before, [name for name in heavy if name in sys.modules], names)))
"""


def test_a_warm_hit_in_a_fresh_process_imports_neither_json_nor_a_metadata_library(
    site: Path, cache_home: Path, tmp_path: Path
) -> None:
    workdir = tmp_path / "workdir"  # on sys.path for python -c, so part of the key: keep it unchanged
    workdir.mkdir()
    set_mtime(workdir, 0)
    pythonpath = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONPATH": pythonpath}

    def probe() -> tuple[list[str], list[str], list[str]]:
        command = [sys.executable, "-c", WARM_PATH_PROBE]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir, check=False)
        assert result.returncode == 0, result.stderr
        seen: tuple[list[str], list[str], list[str]] = ast.literal_eval(result.stdout.strip())
        return seen

    cold, warm = probe(), probe()

    assert cold[0] == [] and cold[1] != []  # the probe sees the scan's imports
    assert "audit" in cold[2]
    assert warm == ([], [], cold[2])
