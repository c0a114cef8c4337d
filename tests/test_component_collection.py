"""Components collected from the modules of a running framework, and fw.invoke."""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import (
    DuplicateComponentError,
    SpocError,
)
from spoc.framework import Framework, Schema

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - depends on the interpreter
    pass

from framework_support import (
    Recorder,
    lines,
    location,
    project_files,
)

# -- components -----------------------------------------------------------


def test_components_defined_in_a_module_are_collected_under_its_kind_even_without_hooks(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc",
        "",
        "components = spoc.Components('model')",
        "",
        "@spoc.component",
        "class Post:",
        "    pass",
        "",
        "@components.register('model', config={'table': 'posts'})",
        "def make_post():",
        "    return Post()",
        "",
        "class NotAComponent:",
        "    pass",
    )
    root = make_project(files, apps=["blog"])

    fw = Framework(root, Schema(modules=["models"])).startup()

    module = sys.modules["apps.blog.models"]
    assert dict(fw.components.models) == {"blog.Post": module.Post, "blog.make_post": module.make_post}
    assert fw.get_component("models", "blog.Post") is module.Post
    assert not fw.plugin_manager.has_plugin("apps.blog.models")
    fw.shutdown()


def test_components_imported_into_a_module_are_not_collected_there(make_project: ProjectFactory, rec: Recorder) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/blog/models.py"] = lines("import spoc", "@spoc.component", "class Post:", "    pass")
    files["apps/users/models.py"] = lines(
        "import spoc", "from apps.blog.models import Post", "@spoc.component", "class User:", "    pass"
    )
    root = make_project(files, apps=["blog", "users"])

    fw = Framework(root, Schema(modules=["models"])).startup()

    assert list(fw.components.models) == ["blog.Post", "users.User"]
    assert fw.get_component("models", "users.Post") is None
    fw.shutdown()


def test_get_component_returns_none_for_an_unknown_kind_or_name(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/models.py": lines("import spoc", "@spoc.component", "def f():", "    pass"),
    }
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"])).startup()

    assert fw.get_component("models", "blog.f") is not None
    assert fw.get_component("models", "blog.g") is None
    assert fw.get_component("models", "users.f") is None
    assert fw.get_component("widgets", "blog.f") is None
    fw.shutdown()


def test_components_are_forgotten_on_shutdown(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/models.py": lines("import spoc", "@spoc.component", "class P:", "    pass"),
    }
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"])).startup()

    fw.shutdown()

    assert dict(fw.components.models) == {}
    assert fw.get_component("models", "blog.P") is None


@pytest.mark.parametrize(
    "second",
    [("def Post():", "    pass"), ("class Post:", "    pass")],
    ids=["function-after-class", "class-after-class"],
)
def test_the_same_component_name_twice_in_one_kind_names_both_locations(
    make_project: ProjectFactory, rec: Recorder, second: tuple[str, str]
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc",
        "",
        "@spoc.component",
        "class Post:  # first",
        "    pass",
        "",
        "@spoc.component",
        f"{second[0]}  # second",
        second[1],
    )
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(DuplicateComponentError) as info:
        fw.startup()

    path = root.resolve() / "apps/blog/models.py"
    first_line = int(location(path, "# first").rsplit(":", 1)[1])
    second_line = int(location(path, "# second").rsplit(":", 1)[1])
    message = str(info.value)
    assert "component 'blog.Post' of kind 'models' is defined twice" in message
    # A class reports its 'class' line or its decorator's line, depending on the Python version.
    assert any(f"at {path}:{line} and" in message for line in (first_line, first_line - 1))
    assert any(f"and at {path}:{line}." in message for line in (second_line, second_line - 1))
    assert "Rename one of them" in message
    assert not fw.started


def test_a_duplicate_component_leaves_no_component_of_the_failed_module_behind(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog"], ["models"])
    files["apps/blog/models.py"] = lines(
        "import spoc",
        "@spoc.component",
        "class Comment:",
        "    pass",
        "@spoc.component",
        "def Post():",
        "    pass",
        "@spoc.component",
        "def Post():  # noqa: F811",
        "    pass",
    )
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(DuplicateComponentError):
        fw.startup()

    assert dict(fw.components.models) == {}


def test_invoke_calls_the_component_through_the_spoc_invoke_middleware(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/views.py": lines(
            "import spoc",
            "@spoc.component",
            "def greet(name, punctuation='.'):",
            "    return f'hello {name}{punctuation}'",
        ),
    }
    root = make_project(files, apps=["blog"])

    class Shout:
        @spoc.hookimpl(wrapper=True)
        def spoc_invoke(
            self, component: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Generator[None, Any, Any]:
            rec.hit(f"invoke {component.__name__} {args} {kwargs}")
            result = yield
            return result.upper()

    fw = Framework(root, Schema(modules=["views"]), plugins=[Shout()]).startup()

    assert fw.invoke("views", "blog.greet", "ann", punctuation="!") == "HELLO ANN!"
    assert rec.calls == ["invoke greet ('ann',) {'punctuation': '!'}"]
    fw.shutdown()


def test_invoke_of_an_unknown_component_says_which_ones_exist(make_project: ProjectFactory, rec: Recorder) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/views.py": lines("import spoc", "@spoc.component", "def greet():", "    pass"),
    }
    root = make_project(files, apps=["blog"])
    fw = Framework(root, Schema(modules=["views"])).startup()

    with pytest.raises(SpocError) as info:
        fw.invoke("views", "blog.gret")

    assert "no component 'blog.gret' of kind 'views'" in str(info.value)
    assert "(did you mean 'blog.greet'?)" in str(info.value)
    assert "known: blog.greet" in str(info.value)
    fw.shutdown()
