"""The error tree: one base, facts as attributes, messages that say what, where and how."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import spoc
from spoc import errors
from spoc.errors import (
    AppImportError,
    AppNotFoundError,
    AsyncHookError,
    ConfigError,
    CycleError,
    DuplicateComponentError,
    HookValidationError,
    ModuleMissingError,
    NotStartedError,
    PluginHookError,
    PluginLoadError,
    PluginOrderError,
    ShutdownError,
    SpocError,
    SpocWarning,
    StartupError,
    WorkerError,
    WorkerTimeoutError,
    did_you_mean,
)
from spoc.tracebacks import syntax_excerpt, user_location

APPS = Path("/project/apps")

# One example of every error SPOC defines, with the facts it must carry.
EXAMPLES: dict[type[BaseException], tuple[Callable[[], BaseException], dict[str, Any]]] = {
    SpocError: (lambda: SpocError("something went wrong"), {}),
    ConfigError: (
        lambda: ConfigError("unknown key 'spoc.dbug'", path=Path("/p/spoc.toml"), key="spoc.dbug"),
        {"path": Path("/p/spoc.toml"), "key": "spoc.dbug"},
    ),
    AppNotFoundError: (
        lambda: AppNotFoundError("blgo", APPS, ["blog", "shop"]),
        {"app": "blgo", "path": APPS / "blgo", "available": ["blog", "shop"]},
    ),
    AppImportError: (
        lambda: AppImportError("blog", "apps.blog.models", APPS / "blog/models.py", ImportError("no markdown")),
        {"app": "blog", "module": "apps.blog.models", "path": APPS / "blog/models.py"},
    ),
    ModuleMissingError: (
        lambda: ModuleMissingError("blog", "views", APPS / "blog/views.py"),
        {"app": "blog", "module": "views", "path": APPS / "blog/views.py"},
    ),
    CycleError: (lambda: CycleError(["views", "models", "views"]), {"cycle": ["views", "models", "views"]}),
    PluginHookError: (
        lambda: PluginHookError(
            "audit", "spoc_load_settings", "p.py:12", RuntimeError("x"), distribution="spoc-audit", version="1.2.0"
        ),
        {"plugin": "audit", "hook": "spoc_load_settings", "distribution": "spoc-audit", "version": "1.2.0"},
    ),
    NotStartedError: (lambda: NotStartedError("fw.components: the framework was never started"), {}),
    DuplicateComponentError: (
        lambda: DuplicateComponentError("models", "blog.Post", "a.py:3", "b.py:7"),
        {"kind": "models", "name": "blog.Post", "locations": ("a.py:3", "b.py:7")},
    ),
    HookValidationError: (
        lambda: HookValidationError(
            "plugin 'timing' implements an unknown hook", plugin="timing", hook="spoc_strtup", location="t.py:4"
        ),
        {"plugin": "timing", "hook": "spoc_strtup", "location": "t.py:4"},
    ),
    PluginLoadError: (
        lambda: PluginLoadError("timing", "spoc-timing", "1.2.0", ImportError("no module named x")),
        {"plugin": "timing", "distribution": "spoc-timing", "version": "1.2.0"},
    ),
    PluginOrderError: (
        lambda: PluginOrderError("plugin 'shop' requires plugin 'db'", plugin="shop", chain=["shop", "db"]),
        {"plugin": "shop", "chain": ["shop", "db"]},
    ),
    AsyncHookError: (
        lambda: AsyncHookError("spoc_startup of plugin 'db'", "db.py:10"),
        {"step": "spoc_startup of plugin 'db'", "location": "db.py:10"},
    ),
    StartupError: (
        lambda: StartupError("import blog.models", RuntimeError("boom"), [ValueError("undo failed")]),
        {"step": "import blog.models"},
    ),
    WorkerError: (
        lambda: WorkerError("worker 'blog.Indexer' failed", worker="blog.Indexer", site="w.py:5", remote_traceback="T"),
        {"worker": "blog.Indexer", "site": "w.py:5", "remote_traceback": "T"},
    ),
    WorkerTimeoutError: (
        lambda: WorkerTimeoutError("blog.Indexer", "process", 5.0, "w.py:5"),
        {"worker": "blog.Indexer", "site": "w.py:5", "timeout": 5.0},
    ),
    ShutdownError: (
        lambda: ShutdownError("2 shutdown step(s) failed", [RuntimeError("a"), ValueError("b")]),
        {"message": "2 shutdown step(s) failed"},
    ),
}


def _defined_exceptions() -> list[type[BaseException]]:
    return [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, BaseException) and value.__module__ == errors.__name__
    ]


def test_every_error_class_is_a_spoc_error() -> None:
    for error_class in _defined_exceptions():
        if error_class is SpocWarning:
            continue
        assert issubclass(error_class, SpocError), error_class


def test_spoc_error_is_the_public_base() -> None:
    assert spoc.SpocError is SpocError
    assert issubclass(SpocError, Exception)


def test_the_warning_is_a_user_warning_not_an_error() -> None:
    assert issubclass(SpocWarning, UserWarning)
    assert not issubclass(SpocWarning, SpocError)


def test_every_error_class_has_an_example_here() -> None:
    assert set(_defined_exceptions()) - {SpocWarning} == set(EXAMPLES)


def test_every_error_class_is_exported() -> None:
    assert {cls.__name__ for cls in _defined_exceptions()} <= set(errors.__all__)


@pytest.mark.parametrize("error_class", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_error_messages_have_no_trailing_whitespace(error_class: type[BaseException]) -> None:
    message = str(EXAMPLES[error_class][0]())

    assert message
    assert message == message.strip()
    assert all(line == line.rstrip() for line in message.splitlines())


@pytest.mark.parametrize("error_class", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_errors_carry_their_facts_as_attributes(error_class: type[BaseException]) -> None:
    make, facts = EXAMPLES[error_class]

    error = make()

    assert type(error) is error_class
    for name, value in facts.items():
        assert getattr(error, name) == value, name


def test_a_config_error_starts_with_its_file_when_it_has_one() -> None:
    assert str(ConfigError("bad", path=Path("/p/spoc.toml"))) == "/p/spoc.toml: bad"
    assert str(ConfigError("bad")) == "bad"
    assert ConfigError("bad").path is None
    assert ConfigError("bad").key is None


def test_app_not_found_suggests_an_app_lists_them_and_says_how_to_fix() -> None:
    message = str(AppNotFoundError("blgo", APPS, ["blog", "shop"]))

    assert f"app 'blgo' not found: expected a package at {APPS / 'blgo'}" in message
    assert "(did you mean 'blog'?)" in message
    assert "Apps that exist: 'blog', 'shop'" in message
    assert "Create the folder with an __init__.py, or remove the app from the configuration" in message


def test_app_not_found_without_any_app_says_none_exist() -> None:
    message = str(AppNotFoundError("blog", APPS, []))

    assert "did you mean" not in message
    assert "Apps that exist: none." in message


def test_app_import_error_names_the_module_the_file_and_the_cause() -> None:
    message = str(AppImportError("blog", "apps.blog.models", APPS / "blog/models.py", ImportError("no markdown")))

    assert f"importing 'apps.blog.models' of app 'blog' failed in {APPS / 'blog/models.py'}" in message
    assert "ImportError: no markdown." in message
    assert message.endswith("Fix the code in that file; the traceback of the cause shows the calls that led to it.")


def test_app_import_error_names_the_line_at_fault_and_keeps_its_facts() -> None:
    error = AppImportError(
        "blog", "apps.blog.models", APPS / "blog/models.py", RuntimeError("database is down"), line=7, hint="Start it."
    )

    assert str(error) == (
        f"importing 'apps.blog.models' of app 'blog' failed at {APPS / 'blog/models.py'}:7: "
        "RuntimeError: database is down. Start it."
    )
    assert (error.line, error.hint) == (7, "Start it.")


def test_app_import_error_for_a_missing_package_says_to_install_it() -> None:
    cause = ModuleNotFoundError("No module named 'markdown.extensions'", name="markdown.extensions")

    message = str(AppImportError("blog", "apps.blog.models", APPS / "blog/models.py", cause, line=1))

    assert "pip install markdown" in message
    assert "correct the import at that line" in message


def _syntax_error(source: str, filename: str) -> SyntaxError:
    try:
        compile(source, filename, "exec")
    except SyntaxError as exc:
        return exc
    raise AssertionError("the source compiles")  # pragma: no cover


def test_app_import_error_for_a_syntax_error_shows_the_line_and_the_caret_and_no_tail_about_packages() -> None:
    path = APPS / "blog/models.py"
    cause = _syntax_error("import spoc\n\ndef publish(post)\n    return post\n", str(path))

    message = str(AppImportError("blog", "apps.blog.models", path, cause, line=3, excerpt=syntax_excerpt(cause)))

    first, code, caret, hint = message.splitlines()
    assert first == f"importing 'apps.blog.models' of app 'blog' failed at {path}:3: SyntaxError: expected ':'"
    assert code == "| def publish(post)"
    assert caret.startswith("| ") and caret.endswith("^")
    assert len(caret) - 1 == code.index(")") + 1  # the caret under the place after ')', as Python points
    assert hint == "Correct the syntax at that line."
    assert "pip" not in message and "package" not in message


def test_app_import_error_for_an_indentation_error_says_to_correct_the_indentation() -> None:
    path = APPS / "blog/models.py"
    cause = _syntax_error("def f():\n  x = 1\n    y = 2\n", str(path))

    message = str(AppImportError("blog", "apps.blog.models", path, cause, line=3, excerpt=syntax_excerpt(cause)))

    assert f"failed at {path}:3: IndentationError: unexpected indent" in message
    assert "| y = 2" in message.splitlines()
    assert message.endswith("Correct the indentation at that line.")


@pytest.mark.parametrize("error_class", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_no_message_ends_with_a_fixed_tail_that_may_not_apply(error_class: type[BaseException]) -> None:
    message = str(EXAMPLES[error_class][0]())

    assert "a missing package needs installing" not in message
    assert ".." not in message.replace("...", "")


def test_module_missing_names_the_expected_file_and_the_loose_option() -> None:
    message = str(ModuleMissingError("blog", "views", APPS / "blog/views.py"))

    assert f"app 'blog' has no 'views' module: expected {APPS / 'blog/views.py'}" in message
    assert f"{APPS / 'blog/views'}/__init__.py" in message
    assert "strict=False" in message


def test_a_cycle_error_reads_the_cycle_and_says_what_to_remove() -> None:
    message = str(CycleError(["views", "models", "views"], "Schema(dependencies=...) in code"))

    assert "cycle: views -> models -> views (declared in Schema(dependencies=...) in code)." in message
    assert "Remove one of these dependencies" in message


def test_a_plugin_load_error_names_the_distribution_and_every_way_to_disable_it() -> None:
    message = str(PluginLoadError("timing", "spoc-timing", "1.2.0", ImportError("no module named x")))

    assert "plugin 'timing' from spoc-timing 1.2.0 failed to load: ImportError: no module named x" in message
    assert "disable_plugins = ['timing']" in message
    assert "-p no:timing" in message
    assert "SPOC_DISABLE_PLUGIN_AUTOLOAD=1" in message


def test_an_async_hook_error_says_to_use_the_async_lifecycle() -> None:
    message = str(AsyncHookError("spoc_startup of plugin 'db'", "db.py:10"))

    assert "spoc_startup of plugin 'db' is an async function (db.py:10)" in message
    assert "await fw.astartup()" in message


def test_a_startup_error_names_the_step_the_cause_and_failed_undos() -> None:
    error = StartupError("import blog.models", RuntimeError("boom"), [ValueError("undo failed")])

    message = str(error)
    assert "startup failed at step `import blog.models`: RuntimeError: boom" in message
    assert "Undoing the earlier steps also failed 1 time(s): undo failed" in message
    assert [str(undo) for undo in error.undo_errors] == ["undo failed"]


def test_a_startup_error_names_the_line_of_the_user_s_code_that_raised() -> None:
    def connect() -> None:
        raise RuntimeError("database is down")

    try:
        connect()
    except RuntimeError as exc:
        error = StartupError("blog.models.initialize()", exc, location=user_location(exc))

    line = connect.__code__.co_firstlineno + 1
    assert error.location == f"{__file__}:{line}"
    assert f"RuntimeError: database is down (raised at {__file__}:{line}). Every step" in str(error)


def test_a_startup_error_whose_cause_has_no_traceback_names_no_line() -> None:
    error = StartupError("import blog.models", RuntimeError("boom."))

    assert error.location is None
    assert "RuntimeError: boom. Every step already done" in str(error)


def test_a_shutdown_error_is_an_exception_group_that_keeps_its_type_when_split() -> None:
    error = ShutdownError("2 shutdown step(s) failed", [RuntimeError("a"), ValueError("b")])

    assert isinstance(error, SpocError)
    assert [str(exc) for exc in error.exceptions] == ["a", "b"]
    values = error.subgroup(ValueError)
    assert isinstance(values, ShutdownError)
    assert [str(exc) for exc in values.exceptions] == ["b"]
    assert values.message == "2 shutdown step(s) failed"


def test_did_you_mean_suggests_the_closest_choice() -> None:
    assert did_you_mean("modles", ["models", "views"]) == " (did you mean 'models'?)"


def test_did_you_mean_is_empty_when_nothing_is_close() -> None:
    assert did_you_mean("zzz", ["models", "views"]) == ""
    assert did_you_mean("models", []) == ""


def test_did_you_mean_accepts_any_iterable_of_choices() -> None:
    assert did_you_mean("debg", {"debug": 1, "mode": 2}) == " (did you mean 'debug'?)"
    assert did_you_mean("mdoe", (key for key in ("mode", "apps"))) == " (did you mean 'mode'?)"
