"""What a failing start shows: the user's frames, SPOC's own hidden unless SPOC_FULL_TRACEBACK is set."""

from __future__ import annotations

import asyncio
import os
import traceback
from pathlib import Path

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import AppImportError, ShutdownError, SpocError, StartupError
from spoc.framework import Framework, Schema
from spoc.lifecycle import Step, execute_directly
from spoc.tracebacks import (
    FULL_TRACEBACK_VARIABLE,
    full_traceback_requested,
    syntax_excerpt,
    without_internal_frames,
)

SPOC_DIR = os.path.dirname(spoc.__file__) + os.sep
SCHEMA = Schema(modules=["models"])
FAILING_MODELS = """
    def initialize():
        connect()


    def connect():
        raise RuntimeError("database is down")
"""


@pytest.fixture
def failing(make_project: ProjectFactory, no_entry_point_plugins: None) -> Path:
    """A project whose ``blog.models.initialize()`` raises two calls deep."""
    return make_project({"apps/blog/models.py": FAILING_MODELS}, apps=["blog"])


def frame_files(exc: BaseException) -> list[str]:
    """Return the file of every frame Python would print for ``exc`` and its chain, in printed order."""
    printed = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return [line.split('"')[1] for line in printed.splitlines() if line.startswith('  File "')]


def spoc_frames(files: list[str]) -> list[str]:
    return [file for file in files if file.startswith(SPOC_DIR)]


@pytest.mark.parametrize(("value", "wanted"), [("", False), ("0", False), ("no", False), ("1", True), ("yes", True)])
def test_the_full_traceback_variable_is_read_like_the_other_control_variables(value: str, wanted: bool) -> None:
    assert full_traceback_requested({FULL_TRACEBACK_VARIABLE: value}) is wanted


def test_the_full_traceback_variable_is_no_unknown_setting(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOC_FULL_TRACEBACK", "1")

    Framework(make_project(apps=[]), SCHEMA)


def test_a_failing_startup_shows_the_user_s_frames_and_one_frame_of_spoc(failing: Path) -> None:
    fw = Framework(failing, SCHEMA)

    with pytest.raises(StartupError) as caught:
        fw.startup()

    files = frame_files(caught.value)
    models = str(failing / "apps" / "blog" / "models.py")
    # The cause first (Python prints the chain from the root): initialize() then connect(), nothing between.
    assert files[:2] == [models, models]
    assert spoc_frames(files) == [os.path.join(SPOC_DIR, "tracebacks.py")]
    assert "pluggy" not in "".join(files)


def test_the_full_traceback_variable_shows_every_frame(failing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOC_FULL_TRACEBACK", "1")
    fw = Framework(failing, SCHEMA)

    with pytest.raises(StartupError) as caught:
        fw.startup()

    files = spoc_frames(frame_files(caught.value))
    assert os.path.join(SPOC_DIR, "lifecycle.py") in files
    assert len(files) > 5


def test_a_failing_with_block_hides_spoc_s_frames_too(failing: Path) -> None:
    with pytest.raises(StartupError) as caught, Framework(failing, SCHEMA):
        pass  # pragma: no cover - the start fails

    assert spoc_frames(frame_files(caught.value)) == [os.path.join(SPOC_DIR, "tracebacks.py")]


def test_a_failing_async_start_hides_spoc_s_frames_too(failing: Path) -> None:
    async def start() -> None:
        async with Framework(failing, SCHEMA):
            pass  # pragma: no cover - the start fails

    with pytest.raises(StartupError) as caught:
        asyncio.run(start())

    assert spoc_frames(frame_files(caught.value)) == [os.path.join(SPOC_DIR, "tracebacks.py")]


def test_an_app_package_that_fails_while_constructing_shows_its_frames_not_spoc_s(
    make_project: ProjectFactory, no_entry_point_plugins: None
) -> None:
    files = {"apps/blog/__init__.py": "from apps.blog import helpers\n", "apps/blog/helpers.py": "1 / 0\n"}
    root = make_project(files, apps=["blog"])

    with pytest.raises(AppImportError) as caught:
        Framework(root, SCHEMA)

    files = frame_files(caught.value)
    app = root / "apps" / "blog"
    assert files[:2] == [str(app / "__init__.py"), str(app / "helpers.py")]
    assert spoc_frames(files) == [os.path.join(SPOC_DIR, "tracebacks.py")]
    assert "importlib" not in "".join(files)


def test_frames_that_ask_to_be_hidden_are_hidden() -> None:
    def plugin_wrapper() -> None:
        __tracebackhide__ = True
        user_code()

    def user_code() -> None:
        raise ValueError("bad value")

    try:
        try:
            plugin_wrapper()
        except ValueError as exc:
            raise SpocError("wrapped") from exc
    except SpocError as error:
        caught = without_internal_frames(error)

    names = [
        line for line in traceback.format_exception(caught) if "in plugin_wrapper" in line or "in user_code" in line
    ]
    assert len(names) == 1
    assert "in user_code" in names[0]


def _raised_through_spoc(exc: Exception) -> Exception:
    """Return ``exc`` raised by a function that SPOC's step runner called: a traceback with a frame of SPOC."""

    def fail() -> None:
        raise exc

    try:
        execute_directly(Step("fail", fail), undo=False)
    except Exception as raised:  # noqa: BLE001 - any exception will do
        return raised
    raise AssertionError("the step did not fail")  # pragma: no cover


def test_every_error_of_a_group_and_every_undo_error_loses_spoc_s_frames() -> None:
    undo_error = _raised_through_spoc(OSError("disk full"))
    member = _raised_through_spoc(RuntimeError("cannot close the pool"))
    error = StartupError("blog.views.initialize()", ValueError("bad view"), [undo_error])
    group = ShutdownError("1 shutdown step(s) failed", [member])
    for exc in (undo_error, member):
        assert spoc_frames([entry.filename for entry in traceback.extract_tb(exc.__traceback__)])

    without_internal_frames(error)
    without_internal_frames(group)

    for exc in (undo_error, member):
        kept = [entry.filename for entry in traceback.extract_tb(exc.__traceback__)]
        assert kept == [__file__, __file__]  # the call in _raised_through_spoc, then fail()
        assert spoc_frames(kept) == []


def test_the_syntax_excerpt_is_python_s_line_and_caret_behind_a_gutter() -> None:
    try:
        compile("x = (1,\n", "models.py", "exec")
    except SyntaxError as exc:
        excerpt = syntax_excerpt(exc)

    code, caret = excerpt.splitlines()
    assert code == "| x = (1,"
    assert caret.rstrip().endswith("^")
    assert caret.index("^") == code.index("(")
    assert not any(line.startswith(" ") for line in excerpt.splitlines())
