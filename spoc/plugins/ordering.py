"""Order plugin registration by the ``requires``/``before``/``after`` they declare.

A plugin (module, class or object) may declare, as attributes:

- ``spoc_requires = ["auth"]``: ``auth`` must be loaded, and loads first;
- ``spoc_after = ["auth"]``: if ``auth`` is loaded, it loads first;
- ``spoc_before = ["audit"]``: if ``audit`` is loaded, it loads after this one.

Load order is registration order: a plugin loaded earlier is started earlier
and stopped later, and (pluggy calls the last registered first) the plugins
loaded after it wrap around it. Ties keep the default order: built-ins,
entry points, configured plugins, apps.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

from spoc.errors import PluginOrderError, did_you_mean
from spoc.plugins.host import PluginRecord
from spoc.resolver import stable_order

__all__ = ["ORDER_ATTRIBUTES", "declared_order", "order_plugins"]

ORDER_ATTRIBUTES: Final = ("spoc_requires", "spoc_before", "spoc_after")


def declared_order(record: PluginRecord) -> dict[str, list[str]]:
    """Return ``{"spoc_requires": [...], "spoc_before": [...], "spoc_after": [...]}`` of a plugin.

    Raises:
        PluginOrderError: an attribute is not a list of plugin names.
    """
    declared: dict[str, list[str]] = {}
    for attribute in ORDER_ATTRIBUTES:
        value = getattr(record.plugin, attribute, ())
        if isinstance(value, str) or not all(isinstance(name, str) for name in value):
            raise PluginOrderError(
                f"{record.describe()}: {attribute} = {value!r} must be a list of plugin names, "
                f'e.g. {attribute} = ["auth"].',
                plugin=record.name,
            )
        declared[attribute] = list(value)
    return declared


def order_plugins(records: Sequence[PluginRecord], unavailable: Mapping[str, PluginRecord]) -> list[PluginRecord]:
    """Return the records in load order: every declared constraint kept, ties in the given order.

    Args:
        records: the plugins to register, in their default order.
        unavailable: blocked or failed plugins by name, to explain a missing requirement.

    Raises:
        PluginOrderError: a required plugin is missing, or the constraints form a cycle.
    """
    by_name = {record.name: record for record in records}
    earlier_than: dict[str, set[str]] = {name: set() for name in by_name}
    for record in records:
        declared = declared_order(record)
        for required in declared["spoc_requires"]:
            if required not in by_name:
                raise _missing(record, required, list(by_name), unavailable)
        earlier_than[record.name].update(n for n in declared["spoc_requires"] + declared["spoc_after"] if n in by_name)
        for later in declared["spoc_before"]:
            if later in by_name:
                earlier_than[later].add(record.name)
    try:
        return [by_name[name] for name in stable_order(list(by_name), earlier_than)]
    except graphlib.CycleError as exc:
        chain: list[str] = exc.args[1]
        raise PluginOrderError(
            f"the plugins' load order constraints form a cycle: {' -> '.join(chain)} (each loads before the "
            "next). Remove one of the spoc_requires/spoc_before/spoc_after declarations in that chain.",
            plugin=chain[0],
            chain=chain,
        ) from None


def _missing(record: PluginRecord, required: str, loaded: list[str], unavailable: Mapping[str, Any]) -> Exception:
    other = unavailable.get(required)
    if other is not None and other.status == "blocked":
        why = (
            f"it is blocked (disable_plugins, -p no:{required}, SPOC_LOAD_PLUGINS or "
            "SPOC_DISABLE_PLUGIN_AUTOLOAD); unblock it"
        )
    elif other is not None:
        why = f"it failed to load ({other.error}); fix or reinstall it"
    else:
        why = f"it is not installed or configured{did_you_mean(required, loaded)}; install it, or list it"
    return PluginOrderError(
        f"{record.describe()} requires plugin {required!r}, but {why}, or remove {required!r} from spoc_requires.",
        plugin=record.name,
        chain=[record.name, required],
    )
