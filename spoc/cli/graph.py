"""``spoc graph``: apps, modules and their dependencies in import order, and hooks in call order.

The graph is drawn from the constructed project (nothing is started), so
implementations in Schema modules, which are registered at startup, are not
in it; ``spoc hooks`` says the same. An app that is missing or fails to import
is drawn without modules, marked, and its error follows (exit status 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spoc.cli.context import CommandContext
from spoc.cli.hooks import call_order

if TYPE_CHECKING:
    from spoc.framework import Framework

HELP = "draw apps, modules and dependencies in import order, and hook implementations in call order"
FORMATS = ("mermaid", "dot")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--format mermaid|dot``."""
    parser.add_argument("--format", choices=FORMATS, default="mermaid", help="the output format (default: mermaid)")


@dataclass(frozen=True)
class Graph:
    """What is drawn, independent of the format."""

    apps: list[tuple[str, list[tuple[int, str]]]]  # app, [(import position, "app.kind")]
    needs: list[tuple[str, str]]  # ("blog.views", "blog.models"): the first is imported after the second
    hooks: list[tuple[str, list[str]]]  # hook, implementations in call order
    broken: dict[str, str] = field(default_factory=dict)  # app: why it is not in the framework


def build_graph(framework: Framework, apps_in_order: Sequence[str] = (), broken: Mapping[str, str] = {}) -> Graph:
    """Collect the nodes and edges of a constructed framework.

    Args:
        framework: the constructed framework.
        apps_in_order: every app of the project in load order, when the
            framework was built without some (by default its own).
        broken: the apps it was built without, and why.
    """
    position = {label: index for index, label in enumerate(framework.import_order, start=1)}
    apps = [
        (app, [] if app in broken else [(position[f"{app}.{kind}"], f"{app}.{kind}") for kind in _kinds(framework)])
        for app in (apps_in_order or framework.installed_apps)
    ]
    for _, modules in apps:
        modules.sort()
    needs = [
        (f"{app}.{kind}", f"{app}.{need}")
        for app in framework.installed_apps
        for kind in _kinds(framework)
        for need in framework.schema.dependencies.get(kind, ())
    ]
    hooks: list[tuple[str, list[str]]] = []
    for name in sorted(vars(framework.hook)):
        caller = getattr(framework.hook, name)
        if not caller.has_spec():
            continue
        impls = call_order(framework, name)
        if impls:
            hooks.append(
                (
                    name,
                    [impl.plugin_name + (" (wrapper)" if impl.wrapper or impl.hookwrapper else "") for impl in impls],
                )
            )
    return Graph(apps, needs, hooks, dict(broken))


def _kinds(framework: Framework) -> list[str]:
    seen: dict[str, None] = {}
    for label in framework.import_order:
        seen.setdefault(label.rpartition(".")[2], None)
    return list(seen)


def _ident(*parts: str) -> str:
    """Return an identifier safe in Mermaid and DOT: letters, digits and underscores."""
    return "__".join("".join(ch if ch.isalnum() else "_" for ch in part) for part in parts)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(graph: Graph) -> Iterator[str]:
    """Yield the lines of a Mermaid flowchart (GitHub renders ```mermaid blocks)."""
    yield "flowchart LR"
    for index, (app, modules) in enumerate(graph.apps, start=1):
        yield f'    subgraph {_ident("app", app)}["app {index}: {_mermaid_text(app)}"]'
        for position, label in modules:
            yield f'        {_ident("module", label)}["{position}. {_mermaid_text(label)}"]'
        if app in graph.broken:
            yield f'        {_ident("broken", app)}["{_mermaid_text(graph.broken[app])}"]'
        yield "    end"
    for dependant, dependency in graph.needs:
        yield f"    {_ident('module', dependant)} -. needs .-> {_ident('module', dependency)}"
    for hook, impls in graph.hooks:
        yield f'    subgraph {_ident("hook", hook)}["{hook}"]'
        nodes = [_ident("hook", hook, str(index)) for index in range(1, len(impls) + 1)]
        for node, (index, impl) in zip(nodes, enumerate(impls, start=1), strict=True):
            yield f'        {node}["{index}. {_mermaid_text(impl)}"]'
        if len(nodes) > 1:
            yield "        " + " --> ".join(nodes)
        yield "    end"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(graph: Graph) -> Iterator[str]:
    """Yield the lines of a Graphviz digraph (``dot -Tsvg``)."""
    yield "digraph spoc {"
    yield "    rankdir=LR;"
    yield "    node [shape=box];"
    for index, (app, modules) in enumerate(graph.apps, start=1):
        yield f"    subgraph {_ident('cluster_app', app)} {{"
        yield f"        label={_dot_text(f'app {index}: {app}')};"
        for position, label in modules:
            yield f"        {_ident('module', label)} [label={_dot_text(f'{position}. {label}')}];"
        if app in graph.broken:
            yield f"        {_ident('broken', app)} [label={_dot_text(graph.broken[app])}, style=dashed];"
        yield "    }"
    for dependant, dependency in graph.needs:
        yield f'    {_ident("module", dependant)} -> {_ident("module", dependency)} [style=dashed, label="needs"];'
    for hook, impls in graph.hooks:
        yield f"    subgraph {_ident('cluster_hook', hook)} {{"
        yield f"        label={_dot_text(hook)};"
        nodes = [_ident("hook", hook, str(index)) for index in range(1, len(impls) + 1)]
        for node, (index, impl) in zip(nodes, enumerate(impls, start=1), strict=True):
            yield f"        {node} [label={_dot_text(f'{index}. {impl}')}];"
        if len(nodes) > 1:
            yield "        " + " -> ".join(nodes) + ";"
        yield "    }"
    yield "}"


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the graph of the constructed project; then the problems found, if any."""
    validation = context.validate()
    framework = validation.framework
    if framework is None or validation.project is None:
        return context.fail(validation.problems)
    graph = build_graph(framework, validation.project.app_names, validation.broken_apps)
    print("\n".join(mermaid(graph) if args.format == "mermaid" else dot(graph)), file=context.out)
    errors = validation.errors()
    return context.fail(errors) if errors else 0
