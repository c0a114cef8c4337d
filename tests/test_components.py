"""Components: tagging decorators, defined-versus-imported, and the registry by kind."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import MappingProxyType, ModuleType

import pytest
from conftest import write_files

import spoc
from spoc.components import ComponentInfo, ComponentRegistry, defined_components, get_info, is_spoc
from spoc.errors import DuplicateComponentError


def import_from(folder: Path, name: str) -> ModuleType:
    """Import the top-level module ``name`` (a ``spoc_test_*`` file) from ``folder``."""
    sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def test_register_tags_a_class_as_a_decorator() -> None:
    components = spoc.Components("model")

    @components.register("model")
    class Post:
        pass

    assert get_info(Post) == ComponentInfo(type="model", metadata={"type": "model"}, config={})
    assert components.is_component("model", Post)


def test_register_called_directly_tags_and_returns_the_object() -> None:
    components = spoc.Components("handler")

    def handle() -> None:
        pass

    assert components.register("handler", handle) is handle
    assert components.is_component("handler", handle)


def test_add_type_default_metadata_is_merged_under_the_decorators_metadata() -> None:
    components = spoc.Components()
    components.add_type("command", {"async": False, "group": "default"})

    @components.register("command", metadata={"group": "admin"})
    def migrate() -> None:
        pass

    info = get_info(migrate)
    assert info is not None
    assert info.metadata == {"async": False, "group": "admin", "type": "command"}


def test_register_keeps_its_config_as_a_copy() -> None:
    components = spoc.Components("model")
    config = {"table": "posts"}

    @components.register("model", config=config)
    class Post:
        pass

    config["table"] = "changed"
    info = get_info(Post)
    assert info is not None
    assert info.config == {"table": "posts"}


def test_types_are_listed_in_the_order_added() -> None:
    components = spoc.Components("model", "view")
    components.add_type("command")

    assert components.types == ("model", "view", "command")


def test_an_unknown_type_is_an_error_with_a_suggestion_and_the_fix() -> None:
    components = spoc.Components("model", "view")

    with pytest.raises(spoc.SpocError) as caught:
        components.register("modle")

    message = str(caught.value)
    assert "unknown component type 'modle'" in message
    assert "(did you mean 'model'?)" in message
    assert "known types: model, view" in message
    assert "add_type('modle')" in message


def test_a_component_type_must_be_a_non_empty_string() -> None:
    with pytest.raises(spoc.SpocError, match="a component type must be a non-empty string, got ''"):
        spoc.Components("")


def test_is_component_is_false_for_another_type_or_an_untagged_object() -> None:
    components = spoc.Components("model", "view")

    @components.register("model")
    class Post:
        pass

    class Plain:
        pass

    assert not components.is_component("view", Post)
    assert not components.is_component("model", Plain)


def test_get_info_and_is_spoc_tell_tagged_from_untagged_objects() -> None:
    class Plain:
        pass

    tagged = spoc.component(type("Tagged", (), {}))

    assert get_info(Plain) is None
    assert not is_spoc(Plain)
    assert is_spoc(tagged)
    assert spoc.Components.is_spoc(tagged)
    assert spoc.Components.get_info(tagged) is get_info(tagged)


def test_a_plain_attribute_named_like_the_tag_is_not_a_tag() -> None:
    class Impostor:
        __spoc__ = {"type": "model"}

    assert not is_spoc(Impostor)


def test_bare_component_decorator_tags_with_the_default_type() -> None:
    @spoc.component
    class Service:
        pass

    info = get_info(Service)
    assert info is not None
    assert info.type == "component"
    assert info.metadata == {"type": "component"}
    assert info.config == {}


def test_component_with_arguments_keeps_metadata_and_config() -> None:
    @spoc.component(metadata={"type": "command", "name": "migrate"}, config={"dry_run": True})
    def migrate() -> None:
        pass

    info = get_info(migrate)
    assert info is not None
    assert info.type == "command"
    assert info.metadata == {"type": "command", "name": "migrate"}
    assert info.config == {"dry_run": True}


def test_an_object_that_refuses_attributes_cannot_be_tagged() -> None:
    with pytest.raises(spoc.SpocError) as caught:
        spoc.component(len)

    message = str(caught.value)
    assert "cannot tag <built-in function len> as a component" in message
    assert "Tag a class or a function defined in your module" in message
    assert isinstance(caught.value.__cause__, (AttributeError, TypeError))


def test_a_module_s_components_are_those_defined_in_it_not_imported(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "spoc_test_models.py": """
                import spoc

                @spoc.component
                class Post:
                    pass
            """,
            "spoc_test_views.py": """
                import spoc
                from spoc_test_models import Post

                models = spoc.Components("view")

                @models.register("view")
                def post_detail():
                    return Post

                @spoc.component(metadata={"type": "serializer"})
                class PostSerializer:
                    pass
            """,
        },
    )
    views = import_from(tmp_path, "spoc_test_views")
    models = sys.modules["spoc_test_models"]

    assert [obj for obj, _ in defined_components(models)] == [models.Post]
    assert [obj for obj, _ in defined_components(views)] == [views.post_detail, views.PostSerializer]


def test_a_dataclass_with_slots_over_a_tagged_class_collects_the_final_class(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "spoc_test_slots.py": """
                from dataclasses import dataclass

                import spoc

                @dataclass(slots=True)
                @spoc.component
                class Point:
                    x: int = 0
            """
        },
    )
    module = import_from(tmp_path, "spoc_test_slots")

    ((found, site),) = defined_components(module)

    assert found is module.Point
    assert "__slots__" in vars(found)
    assert is_spoc(found)
    # The decorator's line or the class line, depending on the Python version.
    assert site.rsplit(":", 1) in [[str(tmp_path / "spoc_test_slots.py"), str(line)] for line in (5, 6, 7)]


def test_registry_kinds_read_as_read_only_mappings() -> None:
    registry = ComponentRegistry()
    registry.add("models", "blog.Post", object)

    models = registry.models

    assert isinstance(models, MappingProxyType)
    assert dict(models) == {"blog.Post": object}
    with pytest.raises(TypeError):
        models["blog.Other"] = object  # type: ignore[index]


def test_registry_collects_a_module_under_its_kind_keyed_app_dot_name(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "spoc_test_collect.py": """
                import spoc

                @spoc.component
                class Post:
                    pass

                @spoc.component(metadata={"type": "signal"})
                def on_save():
                    pass
            """
        },
    )
    module = import_from(tmp_path, "spoc_test_collect")
    registry = ComponentRegistry()

    names = registry.collect("blog", "models", module)

    assert names == ["blog.Post", "blog.on_save"]
    assert registry.models == {"blog.Post": module.Post, "blog.on_save": module.on_save}


def test_an_unknown_kind_is_an_attribute_error_with_a_suggestion() -> None:
    registry = ComponentRegistry()
    registry.add_kind("models")
    registry.add_kind("views")

    with pytest.raises(AttributeError) as caught:
        _ = registry.model

    message = str(caught.value)
    assert "no components of kind 'model'" in message
    assert "(did you mean 'models'?)" in message
    assert "known kinds: models, views" in message


def test_an_empty_registry_asks_whether_the_framework_started() -> None:
    with pytest.raises(AttributeError, match=r"known kinds: none \(has the framework started\?\)"):
        _ = ComponentRegistry().models


def test_private_names_are_not_kinds() -> None:
    registry = ComponentRegistry()
    registry.add_kind("_hidden")

    assert not hasattr(registry, "_hidden")


def test_the_same_name_twice_in_a_kind_names_both_definitions(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "spoc_test_first.py": "import os\n\nclass Post:\n    pass\n",
            "spoc_test_second.py": "def Post():\n    pass\n",
        },
    )
    first = import_from(tmp_path, "spoc_test_first").Post
    second = import_from(tmp_path, "spoc_test_second").Post
    registry = ComponentRegistry()
    registry.add("models", "blog.Post", first)

    with pytest.raises(DuplicateComponentError) as caught:
        registry.add("models", "blog.Post", second)

    error = caught.value
    first_at = f"{tmp_path / 'spoc_test_first.py'}:3"
    second_at = f"{tmp_path / 'spoc_test_second.py'}:1"
    assert error.locations == (first_at, second_at)
    assert (error.kind, error.name) == ("models", "blog.Post")
    message = str(error)
    assert f"component 'blog.Post' of kind 'models' is defined twice: at {first_at} and at {second_at}" in message
    assert "Rename one of them or remove the duplicate registration" in message
    assert registry.models["blog.Post"] is first


def test_adding_the_same_object_again_is_not_a_duplicate() -> None:
    registry = ComponentRegistry()
    registry.add("models", "blog.Post", ComponentRegistry)
    registry.add("models", "blog.Post", ComponentRegistry)

    assert list(registry.models) == ["blog.Post"]


def test_get_returns_none_for_an_unknown_kind_or_name() -> None:
    registry = ComponentRegistry()
    registry.add("models", "blog.Post", object)

    assert registry.get("models", "blog.Post") is object
    assert registry.get("models", "blog.Comment") is None
    assert registry.get("views", "blog.Post") is None


def test_remove_module_forgets_only_that_module_s_components(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "spoc_test_blog.py": "import spoc\n\n@spoc.component\nclass Post:\n    pass\n",
            "spoc_test_shop.py": "import spoc\n\n@spoc.component\nclass Product:\n    pass\n",
        },
    )
    blog = import_from(tmp_path, "spoc_test_blog")
    shop = import_from(tmp_path, "spoc_test_shop")
    registry = ComponentRegistry()
    registry.collect("blog", "models", blog)
    registry.collect("shop", "models", shop)

    registry.remove_module("models", blog)

    assert dict(registry.models) == {"shop.Product": shop.Product}
    assert "models" in registry


def test_the_registry_lists_its_kinds_in_the_order_first_seen() -> None:
    registry = ComponentRegistry()
    registry.add_kind("views")
    registry.add("models", "blog.Post", object)

    assert registry.kinds() == ["views", "models"]
    assert list(registry) == ["views", "models"]
    assert repr(registry) == "ComponentRegistry(views=0, models=1)"

    registry.clear()
    assert registry.kinds() == []
