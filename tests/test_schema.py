"""The Schema: module kinds, their dependencies and hooks, checked when built."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import spoc
import spoc.schema
from spoc.errors import ConfigError
from spoc.settings.origins import Origin


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


# -- module names: what can be a module kind ---------------------------------------------------------

BAD_NAMES = {
    "__init__": "dunder names are Python's own (__init__ is the app's package itself",
    "__main__": "__main__ is what `python -m` runs",
    "a.b": "it is dotted, and a module kind is one module directly in each app's folder (apps/<app>/a.py",
    "../x": "it is a path; name the module as it is imported from each app's folder, e.g. 'x'",
    "apps/blog/models": "it is a path; name the module as it is imported from each app's folder, e.g. 'models'",
    "models.py": "it is a file name; write 'models'",
    "my-models": "it is not a Python identifier (letters, digits and underscores, not starting with a digit) "
    "(did you mean 'my_models'?)",
    "2fa": "it is not a Python identifier",
    "class": "it is a Python keyword, which no import statement can name",
}


@pytest.mark.parametrize("name", sorted(BAD_NAMES))
def test_a_module_name_that_cannot_be_imported_as_a_kind_is_refused_when_the_schema_is_built(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models", name])

    error = caught.value
    assert error.key == "modules"
    assert error.path is None
    message = str(error)
    assert message.startswith(f"Schema(modules=...) lists {name!r}, which cannot be a module kind: ")
    assert BAD_NAMES[name] in message
    assert message.endswith('Module kinds are Python identifiers, e.g. Schema(modules=["models", "views"]).')


@pytest.mark.parametrize("name", ["models", "views2", "_private", "match", "type", "admin_site"])
def test_identifiers_that_are_not_dunder_names_nor_keywords_are_module_kinds(name: str) -> None:
    assert spoc.schema.module_name_problem(name) is None
    assert spoc.Schema([name]).modules == [name]


def test_a_dependency_key_that_cannot_be_a_module_kind_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models"], {"__main__": ["models"]})

    assert caught.value.key == "dependencies.__main__"
    message = str(caught.value)
    assert message.startswith("Schema(dependencies=...) has the key '__main__', which cannot be a module kind: ")
    assert message.endswith('Module kinds are Python identifiers, e.g. dependencies={"views": ["models"]}.')


def test_a_dependency_that_cannot_be_a_module_kind_is_refused_naming_the_kind_that_needs_it() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema(["models", "views"], {"views": ["models", "../shared"]})

    assert caught.value.key == "dependencies.views"
    message = str(caught.value)
    assert "Schema(dependencies=...) lists '../shared' as a dependency of 'views'" in message
    assert "it is a path" in message
    assert 'e.g. dependencies={"views": ["models"]}' in message


def test_from_table_names_the_configuration_key_and_where_it_was_set(tmp_path: Path) -> None:
    toml = tmp_path / "config" / "spoc.toml"
    origins = {("schema", "modules"): Origin("toml", toml, 7)}

    with pytest.raises(ConfigError) as caught:
        spoc.Schema.from_table({"modules": ["models", "__init__"]}, origins.get)

    error = caught.value
    assert (error.path, error.line, error.key) == (toml, 7, "spoc.schema.modules")
    message = str(error)
    assert message.startswith(f"{toml}:7: [spoc.schema] modules lists '__init__', which cannot be a module kind")
    assert message.endswith('e.g. modules = ["models", "views"].')


def test_from_table_names_a_variable_that_set_the_dependencies() -> None:
    origin = Origin("environment", variable="SPOC_SCHEMA__DEPENDENCIES")

    with pytest.raises(ConfigError) as caught:
        spoc.Schema.from_table({"modules": ["models"], "dependencies": {"views": ["a.b"]}}, lambda path: origin)

    error = caught.value
    assert (error.path, error.key) == (None, "spoc.schema.dependencies.views")
    assert str(error).startswith(
        "the environment variable SPOC_SCHEMA__DEPENDENCIES: [spoc.schema.dependencies] lists 'a.b' "
        "as a dependency of 'views', which cannot be a module kind: it is dotted"
    )
    assert str(error).endswith('e.g. views = ["models"].')


def test_from_table_without_origins_still_names_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        spoc.Schema.from_table({"modules": ["__main__"]})

    assert caught.value.key == "spoc.schema.modules"
    assert str(caught.value).startswith("[spoc.schema] modules lists '__main__'")
