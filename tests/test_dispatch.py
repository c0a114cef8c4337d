"""spoc.dispatch.HotHook: pluggy's results, exceptions and call order, proved against pluggy itself.

The differential tests generate plugin sets (plain implementations and
new-style wrappers with every behaviour pluggy distinguishes), call the hook
through raw pluggy and through the dispatcher, and compare the outcome and the
log of implementations entered and left.
"""

from __future__ import annotations

import subprocess
import sys
import types
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import pluggy
import pytest
from conftest import ProjectFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spoc
from spoc.dispatch import HotHook
from spoc.framework import Framework, Schema
from spoc.plugins import CountingPluginManager

hookspec = pluggy.HookspecMarker("dtest")
hookimpl = pluggy.HookimplMarker("dtest")

SPEC_ARGS = ("a", "b", "c")
CALL = {"a": 1, "b": "two", "c": (3,)}
PLAIN_BEHAVIOURS = ("none", "value", "raise", "stop", "abort")
WRAPPER_BEHAVIOURS = (
    "pass",
    "replace",
    "swallow",
    "convert",
    "raise_after",
    "raise_before",
    "no_yield",
    "two_yields",
    "ignores_close",
)


class Abort(BaseException):
    """Not an Exception: wrappers that catch Exception let it through, as with KeyboardInterrupt."""


class FirstResultSpec:
    @hookspec(firstresult=True)
    def dtest_hook(self, a: Any, b: Any, c: Any) -> Any:
        """A firstresult hook."""


class AllResultsSpec:
    @hookspec
    def dtest_hook(self, a: Any, b: Any, c: Any) -> Any:
        """A hook collecting every result."""


@dataclass(frozen=True)
class Impl:
    """One generated implementation: what it is, where pluggy orders it, what it takes and does."""

    wrapper: bool
    behaviour: str
    order: str
    argnames: tuple[str, ...]


PLAIN_ACTIONS = {
    "none": "return None",
    "value": "return ('value', TAG)",
    "raise": "raise ValueError(TAG)",
    "stop": "raise StopIteration(TAG)",
    "abort": "raise Abort(TAG)",
}

# (before the yield, when the call raised, after the yield). Each wrapper logs what it sees.
WRAPPER_PARTS = {
    "pass": ("", "raise", "return result"),
    "replace": ("", "raise", "return ('replaced', TAG, result)"),
    "swallow": ("", "return ('swallowed', TAG, type(exc).__name__)", "return result"),
    "convert": ("", "raise KeyError(TAG) from exc", "return result"),
    "raise_after": ("", "raise", "raise LookupError(TAG)"),
    "raise_before": ("raise OSError(TAG)", "raise", "return result"),
    "no_yield": ("return ('early', TAG)", "raise", "return result"),
    "two_yields": ("", "raise", "yield\n    log.append((TAG, 'resumed twice'))\n    return result"),
    "ignores_close": ("", "raise", "try:\n        yield\n    except GeneratorExit:\n        yield\n    return result"),
}


def make_function(impl: Impl, tag: str, log: list[Any]) -> Callable[..., Any]:
    """Compile the implementation's function with exactly the parameters it declares."""
    params = ", ".join(impl.argnames)
    received = "(" + "".join(f"{name}, " for name in impl.argnames) + ")"
    if not impl.wrapper:
        source = (
            f"def impl({params}):\n    log.append((TAG, 'call', {received}))\n    {PLAIN_ACTIONS[impl.behaviour]}\n"
        )
    else:
        before, on_error, after = WRAPPER_PARTS[impl.behaviour]
        source = (
            f"def impl({params}):\n"
            f"    log.append((TAG, 'enter', {received}))\n"
            f"    {before or 'pass'}\n"
            "    try:\n"
            "        result = yield\n"
            "    except Exception as exc:\n"
            "        log.append((TAG, 'exit with', type(exc).__name__, exc.args))\n"
            f"        {on_error}\n"
            "    log.append((TAG, 'exit', result))\n"
            f"    {after}\n"
        )
    namespace: dict[str, Any] = {"TAG": tag, "log": log, "Abort": Abort}
    exec(source, namespace)
    return namespace["impl"]  # type: ignore[no-any-return]


def new_manager(counted: bool) -> pluggy.PluginManager:
    """pluggy's own manager, or SPOC's, which counts its changes for dispatchers."""
    return CountingPluginManager("dtest") if counted else pluggy.PluginManager("dtest")


def hot_hook(manager: pluggy.PluginManager, name: str, **options: Any) -> HotHook:
    """A dispatcher for ``name``, reading the manager's change counter when it keeps one."""
    generation = manager.generation if isinstance(manager, CountingPluginManager) else None
    return HotHook(getattr(manager.hook, name), generation=generation, **options)


def make_manager(
    impls: list[Impl], firstresult: bool, log: list[Any], counted: bool = False
) -> tuple[pluggy.PluginManager, list[object]]:
    """A fresh manager with the hook's spec and one plugin per implementation."""
    manager = new_manager(counted)
    manager.add_hookspecs(FirstResultSpec if firstresult else AllResultsSpec)
    plugins = []
    for index, impl in enumerate(impls):
        options = {"wrapper": impl.wrapper, impl.order: True} if impl.order else {"wrapper": impl.wrapper}
        function = hookimpl(**options)(make_function(impl, f"p{index}", log))
        plugin = types.SimpleNamespace(dtest_hook=function)
        manager.register(plugin, name=f"p{index}")
        plugins.append(plugin)
    return manager, plugins


def outcome(call: Callable[..., Any], log: list[Any], **kwargs: Any) -> tuple[Any, list[Any]]:
    """The result or the exception (type and args), and the log of the call."""
    log.clear()
    try:
        result: Any = ("returned", call(**kwargs))
    except BaseException as exc:  # noqa: BLE001 - Abort and the like are outcomes to compare too
        result = ("raised", type(exc), exc.args)
    return result, list(log)


argnames = st.lists(st.sampled_from(SPEC_ARGS), unique=True, max_size=3).map(tuple)
orders = st.sampled_from(["", "tryfirst", "trylast"])
plain_impls = st.builds(Impl, st.just(False), st.sampled_from(PLAIN_BEHAVIOURS), orders, argnames)
wrapper_impls = st.builds(Impl, st.just(True), st.sampled_from(WRAPPER_BEHAVIOURS), orders, argnames)
plugin_sets = st.lists(st.one_of(plain_impls, plain_impls, wrapper_impls), max_size=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(impls=plugin_sets, firstresult=st.booleans(), removed=st.sets(st.integers(0, 7)), counted=st.booleans())
def test_the_dispatcher_matches_raw_pluggy_for_any_mix_of_implementations(
    impls: list[Impl], firstresult: bool, removed: set[int], counted: bool
) -> None:
    log: list[Any] = []
    manager, plugins = make_manager(impls, firstresult, log, counted)
    hot = hot_hook(manager, "dtest_hook")

    expected = outcome(manager.hook.dtest_hook, log, **CALL)
    assert outcome(hot, log, **CALL) == expected
    assert hot.accelerated
    # A second call runs the cached code; it must still agree, by keyword or positionally.
    assert outcome(hot.call, log, **CALL) == expected
    assert outcome(lambda **kwargs: hot.call(*(kwargs[name] for name in SPEC_ARGS)), log, **CALL) == expected

    for index in sorted(removed & set(range(len(plugins)))):
        manager.unregister(plugins[index])
    expected = outcome(manager.hook.dtest_hook, log, **CALL)
    assert outcome(lambda **kwargs: hot.call(*(kwargs[name] for name in SPEC_ARGS)), log, **CALL) == expected
    assert outcome(hot.call, log, **CALL) == expected


# -- invalidation -----------------------------------------------------------


def plugin(name: str, calls: list[str], *, result: Any = None, **options: bool) -> object:
    """A plugin whose ``dtest_hook`` records ``name`` and returns ``result``."""

    @hookimpl(**options)
    def dtest_hook(a: Any) -> Any:
        calls.append(name)
        return result

    return types.SimpleNamespace(dtest_hook=dtest_hook)


@pytest.fixture(params=[False, True], ids=["pluggy-manager", "counting-manager"])
def manager(request: pytest.FixtureRequest) -> pluggy.PluginManager:
    """A fresh manager with the firstresult spec: pluggy's, and SPOC's counting one."""
    made = new_manager(request.param)
    made.add_hookspecs(FirstResultSpec)
    return made


def test_a_plugin_registered_after_first_use_is_called(manager: pluggy.PluginManager) -> None:
    calls: list[str] = []
    manager.register(plugin("old", calls, result="old"))
    hot = hot_hook(manager, "dtest_hook")
    assert hot(a=1, b=2, c=3) == "old"

    manager.register(plugin("new", calls, result="new"))

    assert hot.call(a=1, b=2, c=3) == "new"
    assert calls == ["old", "new"]


def test_an_unregistered_plugin_is_no_longer_called(manager: pluggy.PluginManager) -> None:
    calls: list[str] = []
    manager.register(plugin("old", calls, result="old"))
    gone = plugin("gone", calls, result="gone")
    manager.register(gone)
    hot = hot_hook(manager, "dtest_hook")
    assert hot(a=1, b=2, c=3) == "gone"

    manager.unregister(gone)

    assert hot(a=1, b=2, c=3) == "old"


def test_a_blocked_plugin_is_no_longer_called(manager: pluggy.PluginManager) -> None:
    calls: list[str] = []
    manager.register(plugin("kept", calls), name="kept")
    manager.register(plugin("blocked", calls), name="blocked")
    hot = hot_hook(manager, "dtest_hook")
    hot(a=1, b=2, c=3)

    manager.set_blocked("blocked")
    calls.clear()
    hot(a=1, b=2, c=3)

    assert calls == ["kept"]


def test_a_stale_function_still_calls_the_current_implementations(manager: pluggy.PluginManager) -> None:
    calls: list[str] = []
    manager.register(plugin("first", calls, result="first"))
    hot = hot_hook(manager, "dtest_hook")
    stale = hot.refresh()

    manager.register(plugin("second", calls, result="second"))

    assert stale(a=1, b=2, c=3) == "second"
    assert hot.call is not stale


def test_plugins_registered_through_the_host_or_on_the_manager_reach_fw_invoke(
    make_project: ProjectFactory,
) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/views.py": "import spoc\n\n@spoc.component\ndef greet(name):\n    return f'hello {name}'\n",
    }
    fw = Framework(make_project(files, apps=["blog"]), Schema(modules=["views"])).startup()
    assert fw.invoke("views", "blog.greet", "ann") == "hello ann"

    class Upper:
        @spoc.hookimpl(wrapper=True)
        def spoc_invoke(self) -> Generator[None, Any, Any]:
            return (yield).upper()

    class Exclaim:
        @spoc.hookimpl(wrapper=True, tryfirst=True)
        def spoc_invoke(self) -> Generator[None, Any, Any]:
            return (yield) + "!"

    upper = Upper()
    fw.plugin_manager.register(upper)
    assert fw.invoke("views", "blog.greet", "ann") == "HELLO ANN"
    fw._host.register(Exclaim(), "exclaim", "configured")
    assert fw.invoke("views", "blog.greet", "ann") == "HELLO ANN!"
    fw.plugin_manager.unregister(upper)
    fw._host.unregister("exclaim")
    assert fw.invoke("views", "blog.greet", "ann") == "hello ann"
    fw.shutdown()


# -- what goes to pluggy ------------------------------------------------------


def test_an_old_style_hookwrapper_is_left_to_pluggy_until_it_is_gone(manager: pluggy.PluginManager) -> None:
    calls: list[str] = []

    class OldStyle:
        @hookimpl(hookwrapper=True)
        def dtest_hook(self) -> Generator[None, Any, None]:
            outcome = yield
            outcome.force_result(("wrapped", outcome.get_result()))

    manager.register(plugin("plain", calls, result="plain"))
    old = OldStyle()
    manager.register(old)
    hot = hot_hook(manager, "dtest_hook")

    assert hot(a=1, b=2, c=3) == ("wrapped", "plain")
    assert hot.call(1, 2, 3) == ("wrapped", "plain")
    assert not hot.accelerated
    manager.unregister(old)
    assert hot(a=1, b=2, c=3) == "plain"
    assert hot.accelerated


def test_a_historic_hook_is_left_to_pluggy() -> None:
    class Spec:
        @hookspec(historic=True)
        def dtest_history(self, a: Any) -> None:
            """A historic hook."""

    manager = pluggy.PluginManager("dtest")
    manager.add_hookspecs(Spec)
    hot = HotHook(manager.hook.dtest_history)

    assert not hot.accelerated
    with pytest.raises(AssertionError, match="historic"):
        hot(a=1)


def test_a_spec_argument_with_a_default_is_left_to_pluggy() -> None:
    class Spec:
        @hookspec(firstresult=True)
        def dtest_default(self, a: Any, b: Any = "default") -> Any:
            """A hook whose spec gives ``b`` a default."""

    class Impl:
        @hookimpl
        def dtest_default(self, a: Any) -> Any:
            return a

    manager = pluggy.PluginManager("dtest")
    manager.add_hookspecs(Spec)
    manager.register(Impl())
    hot = HotHook(manager.hook.dtest_default)

    assert hot(a=1) == manager.hook.dtest_default(a=1) == 1
    assert not hot.accelerated


def test_a_spec_argument_named_like_generated_code_is_left_to_pluggy() -> None:
    class Spec:
        @hookspec(firstresult=True)
        def dtest_clash(self, _spoc_r: Any) -> Any:
            """A hook whose argument shares the generated code's prefix."""

    manager = pluggy.PluginManager("dtest")
    manager.add_hookspecs(Spec)
    hot = HotHook(manager.hook.dtest_clash)

    assert hot(_spoc_r=1) is None
    assert not hot.accelerated


def test_an_unaccelerated_hook_can_be_forced_through_pluggy(manager: pluggy.PluginManager) -> None:
    manager.register(plugin("plain", [], result="plain"))
    hot = hot_hook(manager, "dtest_hook", fast=False)

    assert hot(a=1, b=2, c=3) == "plain"
    assert not hot.accelerated


def test_a_missing_argument_warns_and_fails_as_pluggy_does(manager: pluggy.PluginManager) -> None:
    manager.register(plugin("plain", [], result="plain"))
    hot = hot_hook(manager, "dtest_hook")
    hot(a=1, b=2, c=3)

    with pytest.warns(UserWarning, match="'b', 'c'") as ours:
        assert hot(a=1) == "plain"
    with pytest.warns(UserWarning, match="'a'"), pytest.raises(pluggy.HookCallError, match="provide argument 'a'"):
        hot(b=2, c=3)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        manager.hook.dtest_hook(a=1)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_extra_keyword_arguments_are_ignored_as_pluggy_does(manager: pluggy.PluginManager) -> None:
    manager.register(plugin("plain", [], result="plain"))
    hot = hot_hook(manager, "dtest_hook")

    assert hot(a=1, b=2, c=3, unknown=4) == manager.hook.dtest_hook(a=1, b=2, c=3, unknown=4) == "plain"
    assert hot.accelerated


def test_the_hot_path_takes_exactly_the_spec_arguments(manager: pluggy.PluginManager) -> None:
    manager.register(plugin("plain", [], result="plain"))
    hot = hot_hook(manager, "dtest_hook")

    assert hot.call(a=1, b=2, c=3) == "plain"
    with pytest.raises(TypeError, match="'c'"):
        hot.call(a=1, b=2)
    with pytest.raises(TypeError, match="'d'"):
        hot.call(a=1, b=2, c=3, d=4)


def test_fw_invoke_goes_through_pluggy_when_hook_calls_are_traced(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "apps/blog/__init__.py": "",
        "apps/blog/views.py": "import spoc\n\n@spoc.component\ndef ping():\n    pass\n",
    }
    monkeypatch.setenv("SPOC_TRACE_HOOKS", "1")
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    fw = Framework(make_project(files, apps=["blog"]), Schema(modules=["views"])).startup()
    capsys.readouterr()

    fw.invoke("views", "blog.ping")

    assert "spoc: spoc_invoke -> [spoc.builtins]" in capsys.readouterr().err.splitlines()
    fw.shutdown()


def test_import_spoc_does_not_import_the_dispatcher() -> None:
    code = "import sys, spoc; print('spoc.dispatch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "False"


def test_an_app_hook_marked_hot_is_dispatched_with_its_plugins_and_follows_changes(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    project = make_project(
        {
            "apps/shop/hookspecs.py": """
                import spoc

                @spoc.hookspec
                def shop_price(amount):
                    '''Adjust a price; every implementation returns its adjusted amount.'''
            """,
            "apps/shop/__init__.py": """
                import spoc

                @spoc.hookimpl
                def shop_price(amount):
                    return amount * 2
            """,
        },
        apps=["shop"],
    )
    fw = Framework(project)

    hot = fw.hot_hook("shop_price")

    assert fw.hot_hook("shop_price") is hot
    assert hot.call(amount=5) == fw.hook.shop_price(amount=5) == [10]

    class Discount:
        @spoc.hookimpl
        def shop_price(self, amount: int) -> int:
            return amount - 1

    fw.plugin_manager.register(Discount(), name="discount")
    assert hot.call(amount=5) == fw.hook.shop_price(amount=5) == [4, 10]
