"""A topological order that never depends on hashing: ties keep their given order."""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["stable_order"]


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
