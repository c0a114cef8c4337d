"""Hook implementations checked against the specs, and hookspecs apps declare for each other."""

from __future__ import annotations

import sys

import pytest
from conftest import ProjectFactory

from spoc.errors import (
    HookValidationError,
)
from spoc.framework import Framework, Schema

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - depends on the interpreter
    pass

from framework_support import (
    Recorder,
    app_source,
    lines,
    location,
    module_source,
    project_files,
)

# -- hook validation and app hookspecs ------------------------------------


def test_an_app_implementing_a_misspelled_hook_gets_a_did_you_mean_and_the_functions_location(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {"apps/blog/__init__.py": app_source("blog", "@spoc.hookimpl", "def spoc_startp(framework):", "    pass")}
    root = make_project(files, apps=["blog"])

    with pytest.raises(HookValidationError) as info:
        Framework(root)

    where = location(root.resolve() / "apps/blog/__init__.py", "@spoc.hookimpl")
    message = str(info.value)
    assert "app plugin 'apps.blog'" in message
    assert "spoc_startp" in message
    assert "(did you mean 'spoc_startup'?)" in message
    assert where in message
    assert (info.value.plugin, info.value.hook, info.value.location) == ("apps.blog", "spoc_startp", where)


def test_an_implementation_taking_an_argument_the_spec_lacks_names_the_argument_and_the_spec(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = {
        "apps/blog/__init__.py": app_source(
            "blog", "@spoc.hookimpl", "def spoc_startup(framework, request):", "    pass"
        )
    }
    root = make_project(files, apps=["blog"])

    with pytest.raises(HookValidationError) as info:
        Framework(root)

    message = str(info.value)
    assert "app plugin 'apps.blog'" in message
    assert "takes 'request', which the hook does not provide" in message
    assert "The spec is spoc_startup(framework)" in message
    assert location(root.resolve() / "apps/blog/__init__.py", "@spoc.hookimpl") in message


def test_a_misspelled_hook_in_a_schema_module_fails_startup_and_leaves_nothing_registered(
    make_project: ProjectFactory, rec: Recorder
) -> None:
    files = project_files(["blog", "users"], ["models"])
    files["apps/users/models.py"] = module_source("users.models", "@spoc.hookimpl", "def spoc_shutdwn():", "    pass")
    root = make_project(files, apps=["blog", "users"])
    fw = Framework(root, Schema(modules=["models"]))

    with pytest.raises(HookValidationError) as info:
        fw.startup()

    assert "(did you mean 'spoc_shutdown'?)" in str(info.value)
    assert location(root.resolve() / "apps/users/models.py", "@spoc.hookimpl") in str(info.value)
    assert not fw.plugin_manager.has_plugin("apps.users.models")
    assert rec.calls[-1] == "blog.models.teardown"
    assert not fw.started


@pytest.mark.parametrize("apps", [["events", "blog"], ["blog", "events"]], ids=["provider-first", "provider-last"])
def test_an_app_can_add_hookspecs_that_another_app_implements(
    make_project: ProjectFactory, rec: Recorder, apps: list[str]
) -> None:
    files = {
        "apps/events/__init__.py": lines(
            "import spoc",
            "",
            "class Specs:",
            "    @spoc.hookspec",
            "    def blog_post_published(self, title):",
            "        '''Called when a post is published.'''",
            "",
            "@spoc.hookimpl",
            "def spoc_add_hookspecs(plugin_manager):",
            "    plugin_manager.add_hookspecs(Specs)",
        ),
        "apps/blog/__init__.py": app_source(
            "blog", "@spoc.hookimpl", "def blog_post_published(title):", "    rec.hit(f'published {title}')"
        ),
    }
    root = make_project(files, apps=apps)

    fw = Framework(root)
    fw.hook.blog_post_published(title="Hello")

    assert rec.calls[-1] == "published Hello"
