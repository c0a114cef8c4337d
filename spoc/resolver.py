"""Order the ``app.module`` nodes to import, from the Schema's dependencies.

Module kinds are ordered topologically (ties broken by the Schema's order, so
the result never depends on hashing); apps keep their load order within each
kind. Cycles are found here, before anything is imported.
"""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from spoc.errors import CycleError
from spoc.schema import Schema

__all__ = ["ModuleNode", "import_order", "kind_order", "stable_order"]


def stable_order(nodes: Sequence[str], predecessors: Mapping[str, Iterable[str]]) -> list[str]:
    """Return ``nodes`` so that each comes after its predecessors; among ready nodes, the earliest given first.

    Args:
        nodes: every node, in the order that breaks ties.
        predecessors: node -> the nodes that must come before it (all in ``nodes``).

    Raises:
        graphlib.CycleError: the edges form a cycle; ``args[1]`` lists it, each node before the next.
    """
    position = {node: index for index, node in enumerate(nodes)}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for node in nodes:
        sorter.add(node, *predecessors.get(node, ()))
    sorter.prepare()
    ordered: list[str] = []
    ready: list[tuple[int, str]] = []
    while sorter.is_active():
        for node in sorter.get_ready():
            heapq.heappush(ready, (position[node], node))
        _, node = heapq.heappop(ready)
        ordered.append(node)
        sorter.done(node)
    return ordered


@dataclass(frozen=True, slots=True)
class ModuleNode:
    """One module of one app, e.g. ``blog.models``.

    Attributes:
        app: the app's name.
        kind: the module kind, from the Schema.
    """

    app: str
    kind: str

    @property
    def label(self) -> str:
        """The readable name used in logs, errors and ``fw.modules``: ``app.kind``."""
        return f"{self.app}.{self.kind}"


def kind_order(schema: Schema, where: str = "Schema(dependencies=...)") -> list[str]:
    """Return the Schema's module kinds in dependency order.

    A kind that is only named as a dependency is ordered too, after the listed
    kinds it does not need.

    Args:
        schema: the module kinds and their dependencies.
        where: where the dependencies were declared, for the cycle error.

    Raises:
        CycleError: the dependencies form a cycle; it lists the cycle.
    """
    kinds = list(schema.modules)
    for kind, needs in schema.dependencies.items():
        for name in (kind, *needs):
            if name not in kinds:
                kinds.append(name)
    try:
        return stable_order(kinds, schema.dependencies)
    except graphlib.CycleError as exc:
        # graphlib walks edges from a dependency to its dependant; reversed, the
        # chain reads "views -> models -> views": views needs models, which needs views.
        raise CycleError(list(reversed(exc.args[1])), where) from None


def import_order(schema: Schema, apps: Sequence[str], where: str = "Schema(dependencies=...)") -> list[ModuleNode]:
    """Return every ``app.kind`` node in import order: kinds first, then apps.

    Args:
        schema: the module kinds and their dependencies.
        apps: the apps in load order.
        where: where the dependencies were declared, for the cycle error.
    """
    return [ModuleNode(app, kind) for kind in kind_order(schema, where) for app in apps]
