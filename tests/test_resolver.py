"""The resolver: module kinds in dependency order, apps in load order within a kind."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spoc
from spoc.errors import CycleError
from spoc.resolver import ModuleNode, import_order, kind_order
from spoc.schema import Schema


def assert_reads_as_needs(cycle: list[str], dependencies: dict[str, list[str]]) -> None:
    """Each kind in the cycle needs the next one, and the cycle closes on itself."""
    assert cycle[0] == cycle[-1]
    for kind, needed in itertools.pairwise(cycle):
        assert needed in dependencies[kind], f"{kind} does not need {needed} in {cycle}"


def test_kinds_follow_the_schema_order_when_nothing_depends_on_anything() -> None:
    assert kind_order(Schema(["views", "models", "admin"])) == ["views", "models", "admin"]


def test_a_dependency_is_ordered_before_the_kind_that_needs_it() -> None:
    schema = Schema(["views", "models"], {"views": ["models"]})

    assert kind_order(schema) == ["models", "views"]


def test_ties_between_independent_kinds_are_broken_by_the_schema_order() -> None:
    schema = Schema(["admin", "api", "models", "views"], {"admin": ["models"], "api": ["models"], "views": ["models"]})

    assert kind_order(schema) == ["models", "admin", "api", "views"]


def test_a_chain_of_dependencies_is_ordered_from_its_root() -> None:
    schema = Schema(["urls", "views", "models"], {"urls": ["views"], "views": ["models"]})

    assert kind_order(schema) == ["models", "views", "urls"]


def test_a_kind_only_named_as_a_dependency_is_ordered_before_its_dependant() -> None:
    schema = Schema(["tasks", "views"], {"views": ["models"]})

    order = kind_order(schema)

    assert sorted(order) == ["models", "tasks", "views"]
    assert order.index("models") < order.index("views")
    assert order == ["tasks", "models", "views"]


def test_an_empty_schema_has_no_kinds() -> None:
    assert kind_order(Schema([])) == []


def test_a_two_kind_cycle_is_an_error_that_reads_as_needs() -> None:
    dependencies = {"views": ["models"], "models": ["views"]}

    with pytest.raises(CycleError) as caught:
        kind_order(Schema(["views", "models"], dependencies))

    error = caught.value
    assert isinstance(error, spoc.SpocError)
    assert error.cycle == ["views", "models", "views"]
    assert_reads_as_needs(error.cycle, dependencies)
    message = str(error)
    assert "cycle: views -> models -> views" in message
    assert "Remove one of these dependencies" in message


def test_a_three_kind_cycle_lists_every_kind_in_the_direction_of_need() -> None:
    dependencies = {"a": ["b"], "b": ["c"], "c": ["a"]}

    with pytest.raises(CycleError) as caught:
        kind_order(Schema(["c", "b", "a"], dependencies))

    cycle = caught.value.cycle
    assert sorted(cycle[:-1]) == ["a", "b", "c"]
    assert_reads_as_needs(cycle, dependencies)
    assert " -> ".join(cycle) in str(caught.value)


def test_a_cycle_beside_acyclic_kinds_names_only_the_kinds_in_the_cycle() -> None:
    dependencies = {"urls": ["views"], "views": ["models"], "models": ["signals"], "signals": ["models"]}

    with pytest.raises(CycleError) as caught:
        kind_order(Schema(["urls", "views", "models", "signals"], dependencies))

    assert set(caught.value.cycle) == {"models", "signals"}
    assert_reads_as_needs(caught.value.cycle, dependencies)


def test_a_kind_that_needs_itself_is_a_cycle() -> None:
    with pytest.raises(CycleError) as caught:
        kind_order(Schema(["models"], {"models": ["models"]}))

    assert caught.value.cycle == ["models", "models"]
    assert "models -> models" in str(caught.value)


def test_import_order_lists_every_app_of_one_kind_before_the_next_kind() -> None:
    schema = Schema(["views", "models"], {"views": ["models"]})

    nodes = import_order(schema, ["shop", "blog"])

    assert nodes == [
        ModuleNode("shop", "models"),
        ModuleNode("blog", "models"),
        ModuleNode("shop", "views"),
        ModuleNode("blog", "views"),
    ]
    assert [node.label for node in nodes] == ["shop.models", "blog.models", "shop.views", "blog.views"]


def test_module_nodes_are_equal_and_hashed_by_app_and_kind() -> None:
    node = ModuleNode("blog", "models")

    assert node == ModuleNode("blog", "models")
    assert node != ModuleNode("blog", "views")
    assert node != ModuleNode("shop", "models")
    assert {node, ModuleNode("blog", "models")} == {node}


def test_import_order_without_apps_is_empty() -> None:
    assert import_order(Schema(["models"]), []) == []


def test_import_order_reports_a_cycle_before_anything_else() -> None:
    with pytest.raises(CycleError):
        import_order(Schema(["a", "b"], {"a": ["b"], "b": ["a"]}), ["blog"])


_ORDER_SCRIPT = textwrap.dedent(
    """
    import json
    from spoc.resolver import kind_order
    from spoc.schema import Schema

    kinds = [f"kind{index:02d}" for index in range(30)]
    dependencies = {kind: ["base"] for kind in kinds[::3]}
    dependencies["top"] = kinds[5:25]
    print(json.dumps(kind_order(Schema(kinds + ["top", "base"], dependencies))))
    """
)


def test_kind_order_does_not_depend_on_the_hash_seed() -> None:
    processes = []
    for seed in ("0", "1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", _ORDER_SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        )
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()
        outputs.append(json.loads(stdout))

    assert all(output == outputs[0] for output in outputs)
    order = outputs[0]
    assert len(order) == 32
    assert all(order.index("base") < order.index(f"kind{index:02d}") for index in range(0, 30, 3))
    assert all(order.index(f"kind{index:02d}") < order.index("top") for index in range(5, 25))


@st.composite
def acyclic_schemas(draw: st.DrawFn) -> Schema:
    """A Schema whose kinds only need kinds created before them, listed in any order."""
    count = draw(st.integers(min_value=0, max_value=12))
    kinds = [f"k{index}" for index in range(count)]
    dependencies: dict[str, list[str]] = {}
    for index, kind in enumerate(kinds):
        if index:
            needs = draw(st.lists(st.sampled_from(kinds[:index]), max_size=4, unique=True))
            if needs:
                dependencies[kind] = needs
    listed = draw(st.permutations(kinds))
    return Schema(listed, dependencies)


@settings(max_examples=100, deadline=None)
@given(acyclic_schemas())
def test_every_kind_comes_after_all_of_its_dependencies(schema: Schema) -> None:
    order = kind_order(schema)

    assert sorted(order) == sorted(schema.modules)
    for kind, needs in schema.dependencies.items():
        for needed in needs:
            assert order.index(needed) < order.index(kind)
    assert kind_order(schema) == order
    assert kind_order(Schema(list(schema.modules), dict(schema.dependencies))) == order
