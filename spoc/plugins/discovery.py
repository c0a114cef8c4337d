"""Find plugins through the ``spoc.plugins`` entry-point group and load them.

``pip install`` a plugin and it is active; the entry point's name is the
token that ``disable_plugins``, ``-p no:NAME`` and ``SPOC_LOAD_PLUGINS``
accept. A blocked plugin is never imported. A name in ``SPOC_LOAD_PLUGINS``
or ``-p no:NAME`` that no installed plugin has is a :class:`SpocWarning`
with a did-you-mean: it is a typo far more often than a plugin that is
installed elsewhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from spoc.errors import PluginLoadError, SpocError, SpocWarning, did_you_mean, warn_from_user_code
from spoc.plugins.host import PluginHost, PluginRecord

__all__ = [
    "ENTRY_POINT_GROUP",
    "FoundEntryPoint",
    "PluginFailedWarning",
    "PluginSelection",
    "find_entry_points",
    "load_configured_plugins",
    "load_entry_point_plugins",
    "load_named_plugins",
    "plugin_failed",
    "resolve_uri",
    "warn_unknown_blocked",
    "warn_unknown_only",
]

ENTRY_POINT_GROUP: Final = "spoc.plugins"
AUTOLOAD_VARIABLE: Final = "SPOC_DISABLE_PLUGIN_AUTOLOAD"
LOAD_VARIABLE: Final = "SPOC_LOAD_PLUGINS"
_FALSE_WORDS: Final = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class PluginSelection:
    """Which entry-point plugins load.

    Attributes:
        blocked: names never loaded (``disable_plugins``, ``-p no:NAME``).
        only: when set, only these names load (``SPOC_LOAD_PLUGINS``, or
            the ``-p NAME`` ones when autoload is off).
        requested: names asked for explicitly (``-p NAME``), loaded even when
            autoload is off.
    """

    blocked: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    requested: frozenset[str] = frozenset()

    @classmethod
    def from_environment(
        cls, blocked: Iterable[str] = (), requested: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> PluginSelection:
        """Combine the configuration with ``SPOC_DISABLE_PLUGIN_AUTOLOAD`` and ``SPOC_LOAD_PLUGINS``."""
        env = os.environ if environ is None else environ
        only: frozenset[str] | None = None
        if LOAD_VARIABLE in env:
            only = frozenset(name.strip() for name in env[LOAD_VARIABLE].split(",") if name.strip())
        elif env.get(AUTOLOAD_VARIABLE, "").strip().lower() not in _FALSE_WORDS:
            only = frozenset()
        return cls(frozenset(blocked), only, frozenset(requested))

    def wants(self, name: str) -> bool:
        """Return whether the entry point ``name`` should be loaded."""
        if name in self.blocked:
            return False
        return name in self.requested or self.only is None or name in self.only


@dataclass(frozen=True)
class FoundEntryPoint:
    """One entry point of the group, and the distribution that ships it (``None`` when its metadata is broken)."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    entry_point: Any

    def load(self) -> Any:
        """Import what the entry point names."""
        return self.entry_point.load()


def find_entry_points(group: str = ENTRY_POINT_GROUP) -> list[FoundEntryPoint]:
    """Return the group's entry points, the first of each name in ``sys.path`` order."""
    from importlib import metadata

    found: dict[str, tuple[int, FoundEntryPoint]] = {}
    folders = {folder: index for index, folder in reversed(list(enumerate(sys.path)))}
    for entry_point in metadata.entry_points(group=group):
        if entry_point.name not in found:
            name, version, folder = _distribution(entry_point.dist)
            entry = FoundEntryPoint(entry_point.name, entry_point.value, name, version, entry_point)
            found[entry_point.name] = (folders.get(folder, len(folders)), entry)
    # Within one sys.path folder the metadata library follows the directory listing: sort for a stable order.
    return [entry for _, entry in sorted(found.values(), key=lambda item: (item[0], item[1].name))]


def _distribution(dist: Any) -> tuple[str | None, str | None, str]:
    """Return the name, version and ``sys.path`` folder of a distribution; ``None`` where its metadata is broken."""
    if dist is None:
        return None, None, ""
    folder = str(dist.locate_file(""))
    try:
        name = dist.metadata["Name"]
        return name, (dist.version if name else None), folder
    except Exception:  # noqa: BLE001 - a half-removed distribution must not stop discovery
        return None, None, folder


def _instantiate(loaded: Any) -> Any:
    """An entry point may name a module, a class (instantiated) or any object."""
    return loaded() if isinstance(loaded, type) else loaded


class PluginFailedWarning(SpocWarning):
    """An installed plugin failed and was skipped (``plugin_errors = "warn"``).

    Its own class so that the listings, which show the plugin as ``failed``,
    can leave out the warning that would only repeat it.
    """


def _installed(found: Iterable[FoundEntryPoint]) -> tuple[list[str], str]:
    names = sorted({entry.name for entry in found})
    return names, f"installed plugins ({ENTRY_POINT_GROUP!r} entry points): {', '.join(names) or 'none'}"


def warn_unknown_only(selection: PluginSelection, found: list[FoundEntryPoint]) -> None:
    """Warn for each name of ``SPOC_LOAD_PLUGINS`` that no installed plugin has."""
    names, listed = _installed(found)
    for name in sorted((selection.only or frozenset()) - set(names)):
        warn_from_user_code(
            f"{LOAD_VARIABLE} names {name!r}, but no installed plugin has that name{did_you_mean(name, names)}, "
            f"so it loads nothing; {listed}. Correct the name in {LOAD_VARIABLE}, or install the plugin."
        )


def warn_unknown_blocked(names: Iterable[str], found: list[FoundEntryPoint] | None = None) -> None:
    """Warn for each ``-p no:NAME`` that blocks nothing: no installed plugin has that name."""
    installed, listed = _installed(find_entry_points() if found is None else found)
    for name in sorted(set(names) - set(installed)):
        warn_from_user_code(
            f"-p no:{name} blocks nothing: no installed plugin is named {name!r}{did_you_mean(name, installed)}; "
            f"{listed}. Give an entry point's name, as 'python -m spoc plugins' lists it."
        )


def load_entry_point_plugins(host: PluginHost, selection: PluginSelection, policy: str = "raise") -> list[PluginRecord]:
    """Import every selected ``spoc.plugins`` entry point; return records to register.

    Blocked plugins (never imported) and, with ``policy="warn"``, failed ones
    are recorded on ``host`` as unloaded.

    Args:
        host: where unloaded plugins are recorded.
        selection: which names load.
        policy: ``"raise"`` stops at a broken plugin; ``"warn"`` skips it
            with one warning line.

    Raises:
        PluginLoadError: a plugin failed to import, with ``policy="raise"``.
    """
    loaded: list[PluginRecord] = []
    found = find_entry_points()
    if selection.only:
        warn_unknown_only(selection, found)
    for entry_point in found:
        name = entry_point.name
        record = PluginRecord(name, "entrypoint", None, entry_point.distribution, entry_point.version)
        if not selection.wants(name):
            record.status = "blocked"
            host.record_unloaded(record)
            continue
        try:
            record.plugin = _instantiate(entry_point.load())
        except Exception as exc:  # noqa: BLE001 - a broken plugin may raise anything; the policy decides
            plugin_failed(host, record, exc, policy)
            continue
        loaded.append(record)
    return loaded


def plugin_failed(host: PluginHost, record: PluginRecord, exc: Exception, policy: str) -> None:
    """Stop with a PluginLoadError (``raise``), or record the plugin as failed with one warning (``warn``)."""
    if policy == "raise":
        raise PluginLoadError(record.name, record.distribution, record.version, exc) from exc
    dist = f" from {record.distribution} {record.version}" if record.distribution else ""
    warn_from_user_code(
        f"plugin {record.name!r}{dist} failed to load: {type(exc).__name__}: {str(exc).rstrip('.')}. "
        'It is skipped, as plugin_errors = "warn" asks. Upgrade or uninstall it, or disable it: '
        f"disable_plugins = [{record.name!r}] under [spoc], or '-p no:{record.name}' on the command line.",
        PluginFailedWarning,
    )
    record.plugin, record.status, record.error = None, "failed", f"{type(exc).__name__}: {exc}"
    record.cause = exc
    host.record_unloaded(record)


def resolve_uri(uri: str) -> Any:
    """Import ``package.module`` or ``package.module.attr`` and return the object.

    Raises:
        ImportError: neither the module nor its attribute exists; an error
            raised inside the module propagates unchanged.
    """
    import importlib

    try:
        return importlib.import_module(uri)
    except ModuleNotFoundError as exc:
        if exc.name != uri or "." not in uri:
            raise
    module_name, _, attribute = uri.rpartition(".")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attribute!r}") from None


def load_configured_plugins(
    host: PluginHost, groups: Mapping[str, list[str]]
) -> tuple[dict[str, dict[str, Any]], list[PluginRecord]]:
    """Import every configured URI; return ``{group: {uri: object}}`` and records for those holding hookimpls.

    Raises:
        ConfigError: a URI cannot be imported, naming its group.
    """
    from spoc.errors import ConfigError

    loaded: dict[str, dict[str, Any]] = {}
    records: dict[str, PluginRecord] = {}
    for group, uris in groups.items():
        loaded[group] = {}
        for uri in uris:
            try:
                obj = resolve_uri(uri)
            except Exception as exc:
                raise ConfigError(
                    f"plugin {uri!r} of group {group!r} cannot be imported: {type(exc).__name__}: {exc}. "
                    "Give a dotted path to a module or to an attribute of one (package.module or "
                    "package.module.attr) that is importable from the project folder.",
                    key=f"spoc.plugins.{group}",
                ) from exc
            loaded[group][uri] = obj
            if host.holds_hookimpls(obj) and uri not in records:
                records[uri] = PluginRecord(uri, "configured", obj)
    return loaded, list(records.values())


def load_named_plugins(names: Iterable[str], known: Iterable[str]) -> list[PluginRecord]:
    """Import ``-p NAME`` plugins that are not entry points: dotted paths to modules or objects.

    Raises:
        SpocError: the name is neither an installed entry point nor importable.
    """
    records = []
    skip = set(known)
    for name in names:
        if name in skip:
            continue
        try:
            plugin = _instantiate(resolve_uri(name))
        except Exception as exc:
            raise SpocError(
                f"-p {name}: no installed plugin of that name in the {ENTRY_POINT_GROUP!r} entry-point group"
                f"{did_you_mean(name, skip)}, and no importable module or object ({type(exc).__name__}: {exc}). "
                "Check the name with 'python -m spoc plugins --all', install the plugin, or give a dotted path "
                "(package.module)."
            ) from exc
        records.append(PluginRecord(name, "configured", plugin))
    return records
