"""Unit tests of spoc.plugins.PluginHost: registration, validation, order, one-at-a-time calls."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Generator
from typing import Any

import pluggy
import pytest

import spoc
from spoc.errors import HookValidationError, SpocError
from spoc.plugins.host import PluginHost, impl_location


@pytest.fixture
def host() -> PluginHost:
    """A fresh host per test: nothing registered but SPOC's hookspecs."""
    return PluginHost()


def starter(calls: list[str], name: str, **opts: Any) -> object:
    """Return a plugin whose ``spoc_startup`` records ``name`` (with hookimpl options ``opts``)."""

    class Plugin:
        @spoc.hookimpl(**opts)
        def spoc_startup(self, framework: Any) -> str:
            calls.append(name)
            return name

    return Plugin()


def line_of(function: Any) -> str:
    """Return ``file:line`` of a function, as SPOC reports it (the first decorator's line)."""
    function = inspect.unwrap(function)
    return f"{function.__code__.co_filename}:{function.__code__.co_firstlineno}"


def test_ordered_impls_lists_tryfirst_then_normal_then_trylast_each_in_registration_order(host: PluginHost) -> None:
    calls: list[str] = []
    for name, opts in [
        ("last-1", {"trylast": True}),
        ("normal-1", {}),
        ("first-1", {"tryfirst": True}),
        ("normal-2", {}),
        ("last-2", {"trylast": True}),
        ("first-2", {"tryfirst": True}),
    ]:
        host.register(starter(calls, name, **opts), name, "configured")

    order = [impl.plugin_name for impl in host.ordered_impls("spoc_startup")]

    assert order == ["first-1", "first-2", "normal-1", "normal-2", "last-1", "last-2"]


def test_ordered_impls_leaves_out_wrappers(host: PluginHost) -> None:
    class Wrapper:
        @spoc.hookimpl(wrapper=True)
        def spoc_startup(self) -> Generator[None, Any, Any]:
            return (yield)

    host.register(Wrapper(), "wrapper", "configured")
    host.register(starter([], "plain"), "plain", "configured")

    assert [impl.plugin_name for impl in host.ordered_impls("spoc_startup")] == ["plain"]


def test_call_one_calls_exactly_one_implementation_inside_every_wrapper(host: PluginHost) -> None:
    calls: list[str] = []

    class Outer:
        @spoc.hookimpl(wrapper=True)
        def spoc_startup(self) -> Generator[None, Any, Any]:
            calls.append("outer before")
            result = yield
            calls.append("outer after")
            return result

    class Inner:
        @spoc.hookimpl(wrapper=True, tryfirst=True)
        def spoc_startup(self) -> Generator[None, Any, Any]:
            calls.append("inner before")
            result = yield
            calls.append("inner after")
            return result

    host.register(starter(calls, "a"), "a", "configured")
    host.register(Outer(), "outer", "configured")
    host.register(starter(calls, "b"), "b", "configured")
    host.register(Inner(), "inner", "configured")
    impl_b = host.ordered_impls("spoc_startup")[1]

    result = host.call_one("spoc_startup", impl_b, framework=None)

    assert result == "b"
    assert calls == ["inner before", "outer before", "b", "outer after", "inner after"]


def test_call_one_leaves_every_implementation_registered(host: PluginHost) -> None:
    calls: list[str] = []
    host.register(starter(calls, "a"), "a", "configured")
    host.register(starter(calls, "b"), "b", "configured")

    host.call_one("spoc_startup", host.ordered_impls("spoc_startup")[0], framework=None)
    host.hook.spoc_startup(framework=None)

    assert calls == ["a", "b", "a"]


def test_unregister_removes_the_plugin_and_its_record(host: PluginHost) -> None:
    calls: list[str] = []
    plugin = starter(calls, "a")
    host.register(plugin, "a", "configured")

    host.unregister("a")
    host.hook.spoc_startup(framework=None)

    assert "a" not in host.records
    assert not host.manager.is_registered(plugin)
    assert host.ordered_impls("spoc_startup") == []
    assert calls == []


def test_unregister_of_an_unknown_name_does_nothing(host: PluginHost) -> None:
    host.unregister("never-registered")

    assert "never-registered" not in host.records


def test_a_plugin_can_be_registered_again_after_unregister(host: PluginHost) -> None:
    plugin = starter([], "a")
    host.register(plugin, "a", "configured")
    host.unregister("a")

    host.register(plugin, "a", "configured")

    assert host.manager.is_registered(plugin)


def test_registering_a_taken_name_is_an_error_naming_the_plugin(host: PluginHost) -> None:
    host.register(starter([], "first"), "timing", "entrypoint", distribution="spoc-timing", version="1.2.0")

    with pytest.raises(SpocError, match="already registered") as info:
        host.register(starter([], "second"), "timing", "configured")

    assert "configured plugin 'timing'" in str(info.value)
    assert host.records["timing"].source == "entrypoint"


def test_records_keep_registration_order_source_distribution_and_hooks(host: PluginHost) -> None:
    class Both:
        @spoc.hookimpl
        def spoc_startup(self) -> None: ...

        @spoc.hookimpl
        def spoc_shutdown(self) -> None: ...

    host.register(Both(), "both", "entrypoint", distribution="spoc-both", version="0.3.0")
    host.register(starter([], "one"), "one", "app")

    assert list(host.records) == ["both", "one"]
    record = host.records["both"]
    assert record.hooks == ["spoc_shutdown", "spoc_startup"]
    assert record.describe() == "entrypoint plugin 'both' (spoc-both 0.3.0)"
    assert host.records["one"].describe() == "app plugin 'one'"


def test_an_argument_the_spec_lacks_is_an_error_naming_it_the_spec_and_the_location(host: PluginHost) -> None:
    class Greedy:
        @spoc.hookimpl
        def spoc_startup(self, framework: Any, request: Any) -> None: ...

    with pytest.raises(HookValidationError) as info:
        host.register(Greedy(), "greedy", "configured", distribution="spoc-greedy", version="2.0")

    message = str(info.value)
    assert "configured plugin 'greedy' (spoc-greedy 2.0)" in message
    assert "takes 'request', which the hook does not provide" in message
    assert "The spec is spoc_startup(framework)" in message
    assert line_of(Greedy.spoc_startup) in message
    assert (info.value.plugin, info.value.hook) == ("greedy", "spoc_startup")
    assert info.value.location == line_of(Greedy.spoc_startup)
    assert "greedy" not in host.records


def test_an_extra_argument_with_a_default_is_accepted(host: PluginHost) -> None:
    class Optional:
        @spoc.hookimpl
        def spoc_startup(self, framework: Any, retries: int = 3) -> None: ...

    host.register(Optional(), "optional", "configured")

    assert "optional" in host.records


def test_an_implementation_of_an_unknown_hook_gets_a_did_you_mean_and_its_location(host: PluginHost) -> None:
    class Typo:
        @spoc.hookimpl
        def spoc_startp(self, framework: Any) -> None: ...

    host.register(Typo(), "typo", "configured")

    with pytest.raises(HookValidationError) as info:
        host.check_unknown_hooks()

    message = str(info.value)
    assert "configured plugin 'typo'" in message
    assert "spoc_startp" in message
    assert "(did you mean 'spoc_startup'?)" in message
    assert line_of(Typo.spoc_startp) in message
    assert "optionalhook=True" in message
    assert info.value.hook == "spoc_startp"


def test_an_optionalhook_implementation_of_an_unknown_hook_is_accepted(host: PluginHost) -> None:
    class Maybe:
        @spoc.hookimpl(optionalhook=True)
        def metrics_collected(self, values: Any) -> None: ...

    host.register(Maybe(), "maybe", "configured")

    host.check_unknown_hooks()


def test_check_unknown_hooks_only_checks_the_named_plugins(host: PluginHost) -> None:
    class Typo:
        @spoc.hookimpl
        def spoc_shutdwn(self) -> None: ...

    host.register(Typo(), "typo", "configured")
    host.register(starter([], "fine"), "fine", "configured")

    host.check_unknown_hooks(["fine"])
    with pytest.raises(HookValidationError, match="did you mean 'spoc_shutdown'"):
        host.check_unknown_hooks(["typo"])


class EventSpecs:
    """Hookspecs an app adds for other apps."""

    @spoc.hookspec
    def blog_post_published(self, title: str) -> None:
        """Called when a post is published."""


class EventsApp:
    """An app that declares its own hook through spoc_add_hookspecs."""

    @spoc.hookimpl
    def spoc_add_hookspecs(self, plugin_manager: pluggy.PluginManager) -> None:
        plugin_manager.add_hookspecs(EventSpecs)


@pytest.mark.parametrize("provider_first", [True, False], ids=["provider-first", "implementer-first"])
def test_spoc_add_hookspecs_lets_a_plugin_add_hooks_that_another_implements(
    host: PluginHost, provider_first: bool
) -> None:
    published: list[str] = []

    class Listener:
        @spoc.hookimpl
        def blog_post_published(self, title: str) -> None:
            published.append(title)

    plugins: list[tuple[str, object]] = [("events", EventsApp()), ("listener", Listener())]
    for name, plugin in plugins if provider_first else plugins[::-1]:
        host.register(plugin, name, "app")
    host.check_unknown_hooks()

    host.hook.blog_post_published(title="Hello")

    assert published == ["Hello"]
    assert host.hook.blog_post_published.has_spec()


def test_an_added_hookspec_validates_the_arguments_of_later_implementations(host: PluginHost) -> None:
    class Listener:
        @spoc.hookimpl
        def blog_post_published(self, title: str, author: str) -> None: ...

    host.register(EventsApp(), "events", "app")

    with pytest.raises(HookValidationError, match=r"takes 'author'.*blog_post_published\(title\)"):
        host.register(Listener(), "listener", "app")


def test_describe_impl_names_the_plugin_and_the_functions_location(host: PluginHost) -> None:
    plugin = starter([], "a")
    host.register(plugin, "timing", "entrypoint", distribution="spoc-timing", version="1.0")
    impl = host.ordered_impls("spoc_startup")[0]

    description = host.describe_impl(impl)

    assert description == f"entrypoint plugin 'timing' (spoc-timing 1.0) at {line_of(type(plugin).spoc_startup)}"


def test_impl_location_sees_through_functools_wraps() -> None:
    def original() -> None: ...

    @functools.wraps(original)
    def wrapper() -> None: ...

    assert impl_location(wrapper) == line_of(original)


def test_a_hookspec_added_later_blames_the_earlier_implementation_that_does_not_fit_it(host: PluginHost) -> None:
    class Listener:
        @spoc.hookimpl
        def blog_post_published(self, title: str, author: str) -> None: ...

    events = EventsApp()
    host.register(Listener(), "listener", "app")

    with pytest.raises(HookValidationError) as info:
        host.register(events, "events", "app")

    assert (info.value.plugin, info.value.hook) == ("listener", "blog_post_published")
    assert info.value.location == line_of(Listener.blog_post_published)
    assert "'author'" in str(info.value)
    assert line_of(Listener.blog_post_published) in str(info.value)
    assert not host.manager.is_registered(events)


def test_a_wrapper_that_is_not_a_generator_is_refused_with_its_location_and_the_fix(host: PluginHost) -> None:
    class Timer:
        @spoc.hookimpl(wrapper=True)
        def spoc_startup(self, framework: Any) -> None:
            pass

    with pytest.raises(HookValidationError) as info:
        host.register(Timer(), "timer", "configured")

    message = str(info.value)
    assert f"spoc_startup at {line_of(Timer.spoc_startup)} is marked as a wrapper but is not a generator" in message
    assert "add the yield, or drop wrapper=True" in message
    assert (info.value.plugin, info.value.hook) == ("timer", "spoc_startup")
    assert "timer" not in host.records
