"""Remember an entry-point group per interpreter, so a start need not read every installed distribution.

The uncached scan reads the metadata of every distribution on ``sys.path``
(~30 ms with 20 of them, ~65 ms with 320). The index is stored as JSON under
the user cache directory, never in the project, with the key it was built
for: the interpreter, its prefix, the ``sys.path`` entries and their
modification times. ``pip install`` and ``pip uninstall`` add or remove a
``*.dist-info`` folder, which changes the folder's mtime, so the next start
misses and rescans. Every error reading or writing the cache falls back to the
scan: a read-only home must never break SPOC. ``SPOC_NO_CACHE=1`` skips it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["NO_CACHE_VARIABLE", "IndexedEntryPoint", "cache_file", "cached_entry_points", "scan_entry_points"]

NO_CACHE_VARIABLE: Final = "SPOC_NO_CACHE"
FORMAT_VERSION: Final = 1
_FALSE_WORDS: Final = ("", "0", "false", "no", "off")
# A folder changed this recently on a filesystem with whole-second mtimes may change
# again within the same second without its mtime moving: such a scan is not stored.
_RACY_NS: Final = 2_000_000_000
_SECOND_NS: Final = 1_000_000_000


class IndexedEntryPoint:
    """An entry point as discovery uses it, from a scan or from the cache.

    A plain class rather than a dataclass: building a dataclass costs about a
    millisecond at import, as much as a whole cache hit.

    Attributes:
        name: the entry point's name (the plugin's name).
        value: ``module`` or ``module:attr.path``.
        group: the entry-point group.
        distribution: the name of the distribution declaring it, if known.
        version: that distribution's version, if known.
    """

    __slots__ = ("distribution", "group", "name", "value", "version")

    def __init__(
        self, name: str, value: str, group: str, distribution: str | None = None, version: str | None = None
    ) -> None:
        self.name, self.value, self.group, self.distribution, self.version = name, value, group, distribution, version

    def _fields(self) -> tuple[str | None, ...]:
        return (self.name, self.value, self.group, self.distribution, self.version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexedEntryPoint) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"IndexedEntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r}, "
            f"distribution={self.distribution!r}, version={self.version!r})"
        )

    def load(self) -> Any:
        """Import the module and return it or its attribute, as ``importlib.metadata.EntryPoint.load`` does.

        Parsed here so that a cache hit never imports ``importlib.metadata``
        (tens of ms); a value this parser does not accept (extras, odd
        characters) goes to ``EntryPoint.load`` so its error is the usual one.
        """
        import importlib

        module_name, separator, attribute = self.value.partition(":")
        module_name, attribute = module_name.strip(), attribute.strip()
        if not _is_dotted(module_name) or (separator and not _is_dotted(attribute)):
            return _metadata_entry_point(self.name, self.value, self.group).load()
        loaded = importlib.import_module(module_name)
        for part in attribute.split("."):
            if part:
                loaded = getattr(loaded, part)
        return loaded


def _is_dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _metadata_entry_point(name: str, value: str, group: str) -> Any:
    if sys.version_info >= (3, 12):
        from importlib.metadata import EntryPoint
    else:
        from importlib_metadata import EntryPoint
    return EntryPoint(name, value, group)


def scan_entry_points(group: str) -> list[IndexedEntryPoint]:
    """Read every distribution on ``sys.path``; return the group's first entry point of each name."""
    if sys.version_info >= (3, 12):
        from importlib.metadata import entry_points
    else:
        from importlib_metadata import entry_points
    found: dict[str, IndexedEntryPoint] = {}
    for entry_point in entry_points(group=group):
        if entry_point.name in found:
            continue
        dist = entry_point.dist
        distribution, version = (None, None) if dist is None else (dist.metadata["Name"], dist.version)
        found[entry_point.name] = IndexedEntryPoint(entry_point.name, entry_point.value, group, distribution, version)
    return list(found.values())


def cache_file(environ: Mapping[str, str] | None = None) -> str | None:
    """Return this interpreter's cache file, or None when there is no usable cache directory."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        if sys.platform == "win32":
            base = env.get("LOCALAPPDATA", "")
        elif sys.platform == "darwin":
            base = os.path.join(os.path.expanduser("~"), "Library", "Caches")
        else:
            base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # no home: never write relative to the working folder
        return None
    return os.path.join(base, "spoc", f"entry-points-{_fnv1a(f'{sys.executable}|{sys.prefix}'):016x}.json")


def _fnv1a(text: str) -> int:
    """A stable 64-bit hash of the text, without importing hashlib (several ms) for a file name."""
    digest = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogatepass"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return digest


def _current_key() -> dict[str, Any]:
    """Describe what the scan depends on: the interpreter and each ``sys.path`` folder's mtime."""
    folders: list[list[Any]] = []
    for entry in sys.path:
        folder = os.path.abspath(os.fsdecode(entry))
        try:
            mtime: int | None = os.stat(folder).st_mtime_ns
        except (OSError, ValueError):
            mtime = None
        folders.append([folder, mtime])
    return {"executable": sys.executable, "prefix": sys.prefix, "path": folders}


def _is_racy(key: dict[str, Any]) -> bool:
    """Whether a folder with whole-second mtimes changed so recently that a later change could keep its mtime."""
    now = time.time_ns()
    return any(mtime is not None and mtime % _SECOND_NS == 0 and now - mtime < _RACY_NS for _, mtime in key["path"])


def _read(path: str) -> dict[str, Any] | None:
    import json

    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        return None
    if not isinstance(data.get("key"), dict) or not isinstance(data.get("groups"), dict):
        return None
    return data


def _records(raw: Any, group: str) -> list[IndexedEntryPoint] | None:
    """Turn a group's stored rows back into entry points; None when the rows are malformed."""
    if not isinstance(raw, list):
        return None
    records = []
    for row in raw:
        if not (isinstance(row, list) and len(row) == 4):
            return None
        name, value, distribution, version = row
        if not (isinstance(name, str) and isinstance(value, str)):
            return None
        if not all(item is None or isinstance(item, str) for item in (distribution, version)):
            return None
        records.append(IndexedEntryPoint(name, value, group, distribution, version))
    return records


def _write(path: str, data: dict[str, Any]) -> None:
    """Replace the file atomically: a reader sees the old index or the new one, never half of one."""
    import json

    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
        os.replace(temporary, path)
    except OSError:
        _remove(temporary)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def cached_entry_points(group: str, *, refresh: bool = False) -> list[IndexedEntryPoint]:
    """Return the group's entry points from the cache when it is current, else scan and store them.

    Args:
        group: the entry-point group.
        refresh: scan even when the cache is current, and rewrite it.
    """
    path = None
    if os.environ.get(NO_CACHE_VARIABLE, "").strip().lower() in _FALSE_WORDS:
        path = cache_file()
    if path is None:
        return scan_entry_points(group)
    # The key is taken before the scan: a change during the scan then shows as a new mtime.
    key = _current_key()
    data = None if refresh else _read(path)
    if data is not None and data["key"] == key:
        records = _records(data["groups"].get(group), group)
        if records is not None:
            return records
    else:
        data = {"format_version": FORMAT_VERSION, "key": key, "groups": {}}
    found = scan_entry_points(group)
    if _is_racy(key):
        _remove(path)
        return found
    rows = [[record.name, record.value, record.distribution, record.version] for record in found]
    data["groups"][group] = rows
    _write(path, data)
    return found
