"""Remember an entry-point group per interpreter and import path, so a start need not read every distribution.

The uncached scan reads the metadata of every distribution on ``sys.path``
(~30 ms with 20 of them, ~65 ms with 320). The index lives under the user
cache directory, never in the project, with the key it was built for: the
interpreter, its prefix, the ``sys.path`` entries and their modification
times. ``pip install`` and ``pip uninstall`` add or remove a ``*.dist-info``
folder, which changes the folder's mtime, so the next start misses and
rescans. Each ``sys.path`` has a file of its own, so that alternating
projects do not evict each other's index. Every error reading or writing the
cache falls back to the scan: a read-only home must never break SPOC.
``SPOC_NO_CACHE=1`` skips it.

A hit's budget is 1 ms, half of what ``import json`` costs, so the index is
tab-separated lines that ``str`` methods parse (``marshal`` is not safe on
damaged data)::

    spoc-entry-points  2  <executable>  <prefix>  <folder>  <mtime>  <folder>  <mtime> ...
    [spoc.plugins]
    <name>  <value>  <distribution>  <version>
    end  <checksum of the lines above>

Fields are escaped as in PostgreSQL's COPY text format: ``\\\\``, ``\\t``,
``\\n``, and ``\\N`` for none. Anything but exactly what this module writes
(another version or key, a cut, junk, a bad escape, a wrong checksum) is a
miss: never an error, never partial data.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TypeAlias

    _Row: TypeAlias = tuple[str, str, str | None, str | None]  # name, value, distribution, version

__all__ = ["NO_CACHE_VARIABLE", "IndexedEntryPoint", "cache_file", "cached_entry_points", "scan_entry_points"]

NO_CACHE_VARIABLE: Final = "SPOC_NO_CACHE"
FORMAT_VERSION: Final = 2
_MAGIC: Final = "spoc-entry-points"
_FALSE_WORDS: Final = ("", "0", "false", "no", "off")
# A folder changed this recently on a filesystem with whole-second mtimes may change
# again within the same second without its mtime moving: such a scan is not stored.
_RACY_NS: Final = 2_000_000_000
_SECOND_NS: Final = 1_000_000_000
# Far above any real index: a bigger file is a miss, not a read.
_MAX_BYTES: Final = 1 << 24
# The largest prime below 2**30: one CPython digit, so the modulo runs at C speed.
_CHECK_PRIME: Final = 1_073_741_789
# A Mersenne prime: cache file names from the interpreter and its sys.path.
_NAME_PRIME: Final = 2**61 - 1
_NONE: Final = "\\N"
_UNESCAPED: Final = {"\\": "\\", "t": "\t", "n": "\n"}
# O_NONBLOCK: a FIFO at the cache path would otherwise block the open until its other end opens.
_READ_FLAGS: Final = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
_WRITE_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


class IndexedEntryPoint:
    """An entry point as discovery uses it, from a scan or from the cache.

    A plain class: building a dataclass costs about a millisecond, a whole cache hit.

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

        Parsed here so that a cache hit never imports ``importlib.metadata``;
        a value this parser refuses goes to ``EntryPoint.load``, for its usual error.
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
        distribution, version = _name_and_version(entry_point.dist)
        found[entry_point.name] = IndexedEntryPoint(entry_point.name, entry_point.value, group, distribution, version)
    return list(found.values())


def _name_and_version(dist: Any) -> tuple[str | None, str | None]:
    """Return a distribution's name and version; ``None``s when its folder has no readable METADATA.

    A half-removed ``*.dist-info`` folder still lists its entry points; the
    metadata library raises for its name, which must not stop discovery.
    """
    if dist is None:
        return None, None
    try:
        return dist.metadata["Name"], dist.version
    except Exception:  # noqa: BLE001 - MetadataNotFound, or whatever a damaged folder makes the library raise
        return None, None


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
    # One index per interpreter and import path: two projects (each script's folder is on
    # sys.path) or a script and ``python -m spoc`` would otherwise keep evicting each other's.
    identity = "\0".join((sys.executable, sys.prefix, *_folders()))
    return os.path.join(base, "spoc", f"entry-points-{_name_hash(identity):016x}.txt")


def _name_hash(text: str) -> int:
    """A stable 61-bit number for a file name, without importing hashlib (several ms) or looping in Python."""
    return int.from_bytes(text.encode("utf-8", "surrogatepass"), "big") % _NAME_PRIME


def _folders() -> list[str]:
    """The ``sys.path`` entries as folders: a relative one joined to the working folder, not normalised."""
    folders = []
    for entry in sys.path:
        folder = os.fsdecode(entry)
        if not os.path.isabs(folder):
            with contextlib.suppress(OSError):  # the working folder was removed
                folder = os.path.join(os.getcwd(), folder)
        folders.append(folder)
    return folders


def _escape(text: str | None) -> str:
    if text is None:
        return _NONE
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _unescape(field: str) -> str | None:
    """Undo ``_escape``.

    Raises:
        ValueError: a backslash ``_escape`` would not have written.
    """
    if "\\" not in field:
        return field
    if field == _NONE:
        return None
    pieces: list[str] = []
    start = 0
    while (backslash := field.find("\\", start)) >= 0:
        code = field[backslash + 1 : backslash + 2]
        if code not in _UNESCAPED:
            raise ValueError(f"bad escape \\{code}")
        pieces += (field[start:backslash], _UNESCAPED[code])
        start = backslash + 2
    pieces.append(field[start:])
    return "".join(pieces)


def _checksum(data: bytes) -> bytes:
    """Catch damage (a flipped byte, a cut, a crash's zeros) without importing zlib; not tampering."""
    return b"%d" % (int.from_bytes(data, "big") % _CHECK_PRIME)


def _current_key() -> tuple[str, list[int]]:
    """Return the header line of an index valid now, and the folders' mtimes.

    A ``stat`` per ``sys.path`` entry and nothing more: a relative entry is
    joined to the working folder, not normalised, as the key need only change when it does.
    """
    fields: list[str | None] = [_MAGIC, str(FORMAT_VERSION), sys.executable, sys.prefix]
    mtimes = []
    for folder in _folders():
        try:
            mtime = os.stat(folder).st_mtime_ns
        except (OSError, ValueError):
            fields += (folder, None)
            continue
        fields += (folder, str(mtime))
        mtimes.append(mtime)
    return "\t".join(map(_escape, fields)), mtimes


def _is_racy(mtimes: list[int]) -> bool:
    """Whether a folder with whole-second mtimes changed so recently that a later change could keep its mtime."""
    now = time.time_ns()
    return any(mtime % _SECOND_NS == 0 and now - mtime < _RACY_NS for mtime in mtimes)


def _read_bytes(path: str) -> bytes | None:
    """Return the file's bytes if it is a regular file of a sane size: a FIFO or a device must not hang SPOC."""
    try:
        descriptor = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            return None
        return os.read(descriptor, info.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _read(path: str, key: str) -> dict[str, list[_Row]] | None:
    """Return the index's rows by group if the file is intact and built for ``key``, else None."""
    data = _read_bytes(path)
    if data is None:
        return None
    end = data.rfind(b"\n", 0, -1) + 1
    if end == 0 or data[end:] != b"end\t%s\n" % _checksum(data[:end]):
        return None
    header, *lines = data[: end - 1].decode("utf-8", "surrogateescape").split("\n")
    if header != key:
        return None
    try:
        return _groups(lines)
    except ValueError:
        return None


def _groups(lines: list[str]) -> dict[str, list[_Row]]:
    """Parse the lines between the header and the checksum.

    Raises:
        ValueError: a line that ``_write`` would not have written.
    """
    groups: dict[str, list[_Row]] = {}
    rows: list[_Row] | None = None
    for line in lines:
        fields = line.split("\t")
        if len(fields) == 4 and rows is not None:
            name, value, distribution, version = map(_unescape, fields)
            if name is None or value is None:
                raise ValueError("an entry point without a name or value")
            rows.append((name, value, distribution, version))
        elif len(fields) == 1 and line[:1] == "[" and line[-1:] == "]":
            group = _unescape(line[1:-1])
            if group is None or group in groups:
                raise ValueError("a group without a name, or twice")
            rows = groups[group] = []
        else:
            raise ValueError("neither a group nor an entry point")
    return groups


def _write(path: str, key: str, groups: Mapping[str, list[_Row]]) -> None:
    """Replace the file atomically: a reader sees the old index or the new one, never half of one.

    If the new index cannot be stored, the old one goes too: after a
    ``refresh`` it may hold what the rescan corrected.
    """
    lines = [key]
    for group, rows in groups.items():
        lines.append(f"[{_escape(group)}]")
        lines.extend("\t".join(map(_escape, row)) for row in rows)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        body = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
        data = memoryview(b"%send\t%s\n" % (body, _checksum(body)))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        descriptor = os.open(temporary, _WRITE_FLAGS, 0o644)
        try:
            while data:
                data = data[os.write(descriptor, data) :]
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except (OSError, ValueError):  # ValueError: a lone surrogate, which utf-8 cannot carry
        _remove(temporary)
        _remove(path)


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
    key, mtimes = _current_key()
    groups = None if refresh else _read(path, key)
    if groups is not None and group in groups:
        return [IndexedEntryPoint(name, value, group, dist, version) for name, value, dist, version in groups[group]]
    found = scan_entry_points(group)
    if _is_racy(mtimes):
        _remove(path)
        return found
    groups = groups or {}
    groups[group] = [(record.name, record.value, record.distribution, record.version) for record in found]
    _write(path, key, groups)
    return found
