"""The Schema: module kinds, their dependencies and hooks, checked when built."""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import pytest

import spoc
from spoc.errors import ConfigError


def _started(module: ModuleType) -> None:
    """A Schema hook that does nothing."""


def test_modules_keep_their_order_and_lose_duplicates() -> None:
    schema = spoc.Schema(["models", "views", "models"])

    assert schema.modules == ["models", "views"]
    assert schema.dependencies == {}
    assert schema.hooks == {}


def test_dependencies_are_copied_into_lists() -> None:
    needs = ("models",)
    source = {"views": needs}

    schema = spoc.Schema(["models", "views"], source)
    source["admin"] = ("views",)

    assert schema.dependencies == {"views": ["models"]}


def test_a_schema_is_frozen() -> None:
    schema = spoc.Schema(["models"])

    with pytest.raises(dataclasses.FrozenInstanceError):
        schema.modules = ["views"]  # type: ignore[misc]


def test_modules_given_as_a_string_is_an_error_with_an_example() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema("models")

    error = caught.value
    assert isinstance(error, spoc.SpocError)
    assert error.key == "modules"
    message = str(error)
    assert "Schema(modules=...) must be a list of module names, got 'models'" in message
    assert 'Example: Schema(modules=["models", "views"])' in message


@pytest.mark.parametrize("bad", [["models", ""], ["models", 3]])
def test_a_module_name_that_is_empty_or_not_a_string_is_an_error(bad: list[Any]) -> None:
    with pytest.raises(ConfigError, match="must be a list of module names"):
        spoc.Schema(bad)


def test_a_dependency_list_given_as_a_string_is_an_error_naming_the_kind() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models", "views"], {"views": "models"})  # type: ignore[dict-item]

    error = caught.value
    assert error.key == "dependencies.views"
    message = str(error)
    assert "dependencies of 'views' must be a list of module names, got 'models'" in message
    assert 'Example: dependencies={"views": ["models"]}' in message


def test_an_unknown_hook_key_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models"], hooks={"models": {"startpu": _started}})  # type: ignore[typeddict-unknown-key]

    error = caught.value
    assert error.key == "hooks.models.startpu"
    message = str(error)
    assert "hook 'startpu' of 'models' is not a hook" in message
    assert "(did you mean 'startup'?)" in message
    assert "valid hooks are startup, shutdown" in message


def test_a_hook_that_is_not_callable_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models"], hooks={"models": {"shutdown": "close_db"}})  # type: ignore[typeddict-item]

    assert caught.value.key == "hooks.models.shutdown"
    assert "Schema hook 'models'.shutdown must be callable, got 'close_db'" in str(caught.value)


def test_hooks_of_a_kind_given_as_a_function_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models"], hooks={"models": _started})  # type: ignore[dict-item]

    message = str(caught.value)
    assert "'models'" in message
    assert "startup" in message
    assert "shutdown" in message


def test_from_table_reads_the_spoc_schema_table() -> None:
    schema = spoc.Schema.from_table({"modules": ["models", "views"], "dependencies": {"views": ["models"]}})

    assert schema == spoc.Schema(["models", "views"], {"views": ["models"]})


def test_from_an_empty_table_comes_an_empty_schema() -> None:
    schema = spoc.Schema.from_table({})

    assert schema.modules == []
    assert schema.dependencies == {}


def test_from_table_checks_its_values_like_the_constructor() -> None:
    with pytest.raises(ConfigError, match="must be a list of module names"):
        spoc.Schema.from_table({"modules": "models"})


def test_hook_returns_the_function_of_a_kind() -> None:
    schema = spoc.Schema(["models", "views"], hooks={"models": {"startup": _started}})

    assert schema.hook("models", "startup") is _started


def test_hook_returns_none_for_a_kind_or_moment_without_one() -> None:
    schema = spoc.Schema(["models", "views"], hooks={"models": {"startup": _started}})

    assert schema.hook("models", "shutdown") is None
    assert schema.hook("views", "startup") is None
