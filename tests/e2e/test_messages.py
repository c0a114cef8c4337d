"""The messages a newcomer meets, read from stderr of ``python main.py`` and ``python -m spoc check``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import spoc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import write_files

SPOC_DIR = os.path.dirname(spoc.__file__) + os.sep
TOML = """
    [spoc]
    mode = "production"

    [spoc.apps]
    production = ["blog"]

    [spoc.schema]
    modules = {modules}
    dependencies = {{views = ["models"]}}
"""
STARTUP_MAIN = """
    from pathlib import Path

    from spoc import Framework

    fw = Framework(Path(__file__).parent)
    fw.startup()
    fw.shutdown()
"""
WITH_MAIN = """
    from pathlib import Path

    from spoc import Framework

    with Framework(Path(__file__).parent) as fw:
        pass
"""
FAILING_MODELS = """
    def initialize():
        connect()


    def connect():
        raise RuntimeError("database is down")
"""


def project(root: Path, files: dict[str, str], modules: str = '["models", "views"]') -> Path:
    """Write a project with the app ``blog`` (empty models and views unless ``files`` says otherwise)."""
    base = {
        "config/spoc.toml": TOML.format(modules=modules),
        "apps/blog/__init__.py": "",
        "apps/blog/models.py": "",
        "apps/blog/views.py": "",
        "main.py": STARTUP_MAIN,
    }
    return write_files(root, {**base, **files})


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in ``cwd`` as a user would, without installed plugins or SPOC_* variables."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ.update(PYTHONDONTWRITEBYTECODE="1", SPOC_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def printed_frames(stderr: str) -> list[str]:
    """Return the file of every frame of the printed traceback, in printed order."""
    return [line.split('"')[1] for line in stderr.splitlines() if line.startswith('  File "')]


# -- a failing python main.py: the user's frames first, SPOC's hidden -------------------------------


@pytest.mark.parametrize("main", [STARTUP_MAIN, WITH_MAIN], ids=["startup", "with"])
def test_a_failing_start_shows_the_user_s_frames_first_and_one_line_of_spoc(tmp_path: Path, main: str) -> None:
    root = project(tmp_path / "p", {"apps/blog/models.py": FAILING_MODELS, "main.py": main})

    result = run(root, "main.py")

    assert result.returncode == 1
    frames = printed_frames(result.stderr)
    models, main_py = str(root / "apps" / "blog" / "models.py"), str(root / "main.py")
    assert frames == [models, models, main_py, os.path.join(SPOC_DIR, "tracebacks.py")], result.stderr
    assert "SPOC's own frames are hidden; SPOC_FULL_TRACEBACK=1 shows them" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        "spoc.errors.StartupError: startup failed at step `blog.models.initialize()`: RuntimeError: "
        f"database is down (raised at {models}:6). Every step already done was undone in reverse order."
    )


def test_the_full_traceback_variable_shows_spoc_s_frames(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"apps/blog/models.py": FAILING_MODELS})

    result = run(root, "main.py", SPOC_FULL_TRACEBACK="1")

    assert result.returncode == 1
    frames = printed_frames(result.stderr)
    assert os.path.join(SPOC_DIR, "lifecycle.py") in frames
    assert any(os.sep + "pluggy" + os.sep in frame for frame in frames)
    assert len(frames) > 10


def test_a_syntax_error_shows_its_line_and_caret_and_says_nothing_about_packages(tmp_path: Path) -> None:
    models = 'import spoc\n\n\nclass Post(\n    title = "x"\n'
    root = project(tmp_path / "p", {"apps/blog/models.py": models, "apps/blog/views.py": "from . import models\n"})

    result = run(root, "main.py")

    assert result.returncode == 1
    message = result.stderr[result.stderr.index("spoc.errors.AppImportError: ") :].splitlines()
    path = root / "apps" / "blog" / "models.py"
    assert message[0] == (
        f"spoc.errors.AppImportError: importing 'apps.blog.models' of app 'blog' failed at {path}:4: "
        "SyntaxError: '(' was never closed"
    )
    assert message[1:3] == ["| class Post(", "|           ^"]
    assert message[3:] == ["Correct the syntax at that line."]
    assert "install" not in result.stderr


# -- spoc check: each problem once, at its source, with what fits it -------------------------------


def test_check_reports_a_syntax_error_once_not_again_under_the_module_that_imports_it(tmp_path: Path) -> None:
    files = {
        "apps/blog/models.py": "def publish(post)\n    return post\n",
        "apps/blog/views.py": "from . import models\n",
    }
    root = project(tmp_path / "p", files)

    result = run(root, "-m", "spoc", "check")

    assert result.returncode == 1
    path = root / "apps" / "blog" / "models.py"
    assert result.stdout.splitlines() == [
        f"import: importing 'apps.blog.models' of app 'blog' failed at {path}:1: SyntaxError: expected ':'",
        "| def publish(post)",
        "|                  ^",
        "Correct the syntax at that line.",
        "1 problem(s) found",
    ]


def test_check_says_to_install_a_missing_package(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"apps/blog/models.py": "import os\nimport spoc_e2e_not_installed\n"})

    result = run(root, "-m", "spoc", "check")

    assert result.returncode == 1
    path = root / "apps" / "blog" / "models.py"
    assert f"failed at {path}:2: ModuleNotFoundError: No module named 'spoc_e2e_not_installed'" in result.stdout
    assert "install it with pip install spoc_e2e_not_installed" in result.stdout
    assert result.stdout.count("spoc_e2e_not_installed'.") == 1  # once, not again under views


def test_check_names_a_misspelled_module_of_the_project(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"apps/blog/views.py": "from apps.blog.modls import Post\n"})

    result = run(root, "-m", "spoc", "check")

    assert result.returncode == 1
    assert f"failed at {root / 'apps' / 'blog' / 'views.py'}:1: ModuleNotFoundError" in result.stdout
    assert "The project has no module 'apps.blog.modls' (did you mean 'apps.blog.models'?)" in result.stdout
    assert "pip" not in result.stdout


# -- Schema module names -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["__main__", "__init__", "a.b", "../x"])
def test_a_module_name_that_cannot_be_a_kind_is_an_error_naming_the_key_and_line(tmp_path: Path, name: str) -> None:
    files = {"apps/blog/__main__.py": "raise SystemExit(3)\n", "apps/blog/__init__.py": "print('app package')\n"}
    root = project(tmp_path / "p", files, modules=f'["models", "views", "{name}"]')

    result = run(root, "main.py")
    check = run(root, "-m", "spoc", "check")

    assert result.returncode == 1, result.stderr
    assert "app package" not in result.stdout  # refused before any app is imported
    assert (
        result.stderr.rstrip()
        .splitlines()[-1]
        .startswith(
            f"spoc.errors.ConfigError: {root / 'config' / 'spoc.toml'}:8: [spoc.schema] modules lists {name!r}, "
            "which cannot be a module kind: "
        )
    )
    assert check.returncode == 1, check.stderr
    where = root / "config" / "spoc.toml"
    assert f"config: {where}:8: [spoc.schema] modules lists {name!r}, which cannot be a module kind" in check.stdout
