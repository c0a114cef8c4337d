"""What the loader says when an app's code fails to import: where, what, and how to fix it, case by case."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc import import_errors
from spoc.errors import AppImportError, ConfigError
from spoc.framework import Framework, Schema

SCHEMA = Schema(modules=["models", "views"], dependencies={"views": ["models"]})
# Views before models, on purpose: views imports the broken models first.
VIEWS_FIRST = Schema(modules=["views", "models"])


@pytest.fixture(autouse=True)
def _quiet(no_entry_point_plugins: None) -> None:
    """Installed plugins play no part in these messages."""


def start_error(make_project: ProjectFactory, files: dict[str, str], schema: Schema = SCHEMA) -> AppImportError:
    """Build a project with the app ``blog`` and ``files``, start it, and return the AppImportError it raises."""
    root = make_project({"apps/blog/models.py": "", "apps/blog/views.py": "", **files}, apps=["blog"])
    fw = Framework(root, schema)
    with pytest.raises(AppImportError) as caught:
        fw.startup()
    assert not fw.started
    return caught.value


def app_file(error: AppImportError, name: str) -> Path:
    return error.path.parent / name


# -- where: the statement at fault, in the app's files ---------------------------------------------


def test_an_error_raised_deep_in_a_module_names_the_line_that_raised_not_only_the_file(
    make_project: ProjectFactory,
) -> None:
    models = "import os\n\n\ndef connect():\n    raise RuntimeError('database is down')\n\n\nconnect()\n"

    error = start_error(make_project, {"apps/blog/models.py": models})

    assert (error.app, error.module, error.line) == ("blog", "apps.blog.models", 5)
    assert str(error).startswith(
        f"importing 'apps.blog.models' of app 'blog' failed at {error.path}:5: RuntimeError: database is down. "
    )
    assert str(error).endswith("Fix the code at that line; the traceback of the cause shows the calls that led to it.")


def test_an_error_raised_inside_a_library_names_the_app_s_line_and_the_library_s(
    make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = write_files(tmp_path / "site", {"spoc_test_driver.py": "def connect():\n    raise OSError('no route')\n"})
    monkeypatch.syspath_prepend(str(library))

    error = start_error(
        make_project, {"apps/blog/models.py": "import spoc_test_driver\n\nspoc_test_driver.connect()\n"}
    )

    assert error.line == 3
    assert f"failed at {error.path}:3: OSError: no route (raised in {library / 'spoc_test_driver.py'}:2). " in str(
        error
    )


def test_an_app_package_that_fails_while_constructing_names_its_file_and_line(make_project: ProjectFactory) -> None:
    root = make_project({"apps/blog/__init__.py": "import os\nvalue = int('x')\n"}, apps=["blog"])

    with pytest.raises(AppImportError) as caught:
        Framework(root, SCHEMA)

    error = caught.value
    assert (error.module, error.path, error.line) == ("apps.blog", root / "apps" / "blog" / "__init__.py", 2)
    assert f"importing 'apps.blog' of app 'blog' failed at {error.path}:2: ValueError: invalid literal" in str(error)


def test_a_broken_module_imported_by_another_is_reported_at_its_source(make_project: ProjectFactory) -> None:
    files = {
        "apps/blog/models.py": "x = 1\nraise KeyError('title')\n",
        "apps/blog/views.py": "import apps.blog.models\n",
    }

    error = start_error(make_project, files, VIEWS_FIRST)

    assert (error.module, error.path, error.line) == ("apps.blog.models", app_file(error, "models.py"), 2)
    assert "views" not in str(error)


def test_a_helper_module_that_fails_is_named_even_when_no_schema_names_it(make_project: ProjectFactory) -> None:
    files = {"apps/blog/utils.py": "1 / 0\n", "apps/blog/models.py": "from apps.blog.utils import slugify\n"}

    error = start_error(make_project, files)

    assert (error.app, error.module, error.line) == ("blog", "apps.blog.utils", 1)
    assert f"importing 'apps.blog.utils' of app 'blog' failed at {app_file(error, 'utils.py')}:1: Zero" in str(error)


# -- syntax errors: the line and the caret, once ----------------------------------------------------


def test_a_syntax_error_shows_the_line_and_the_caret(make_project: ProjectFactory) -> None:
    error = start_error(make_project, {"apps/blog/models.py": "import spoc\n\n\nclass Post(\n    title = 'x'\n"})

    head, code, caret, hint = str(error).splitlines()
    assert (
        head
        == f"importing 'apps.blog.models' of app 'blog' failed at {error.path}:4: SyntaxError: '(' was never closed"
    )
    assert code == "| class Post("
    assert caret.index("^") == code.index("(")
    assert hint == "Correct the syntax at that line."
    assert isinstance(error.__cause__, SyntaxError)


def test_a_syntax_error_in_a_module_that_another_imports_is_reported_at_its_source(
    make_project: ProjectFactory,
) -> None:
    files = {
        "apps/blog/models.py": "def publish(post)\n    return post\n",
        "apps/blog/views.py": "from . import models\n",
    }

    error = start_error(make_project, files, VIEWS_FIRST)

    assert (error.module, error.path, error.line) == ("apps.blog.models", app_file(error, "models.py"), 1)
    assert "SyntaxError: expected ':'" in str(error)


# -- ModuleNotFoundError: a package to install, or a module of the project ---------------------------


def test_a_package_that_is_not_installed_is_named_with_the_command_that_installs_it(
    make_project: ProjectFactory,
) -> None:
    error = start_error(make_project, {"apps/blog/models.py": "import os\nimport spoc_test_markdown_renderer\n"})

    assert error.line == 2
    assert str(error).endswith(
        "No module named 'spoc_test_markdown_renderer'. The package 'spoc_test_markdown_renderer' is not installed: "
        "install it with pip install spoc_test_markdown_renderer in the environment that runs the project "
        "(its distribution may be named differently from the import name 'spoc_test_markdown_renderer')."
    )


def test_a_package_known_by_another_distribution_name_is_installed_by_that_name(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(import_errors.KNOWN_DISTRIBUTIONS, "spoc_test_yaml", "spoc-test-PyYAML")

    error = start_error(make_project, {"apps/blog/models.py": "import spoc_test_yaml.loader\n"})

    assert "install it with pip install spoc-test-PyYAML" in str(error)
    assert "the distribution that provides 'spoc_test_yaml' is named 'spoc-test-PyYAML'" in str(error)


@pytest.mark.parametrize(("name", "distribution"), [("yaml", "PyYAML"), ("PIL", "Pillow"), ("sklearn", "scikit-learn")])
def test_well_known_import_names_map_to_their_distributions(
    make_project: ProjectFactory, name: str, distribution: str
) -> None:
    if importlib.util.find_spec(name) is not None:
        pytest.skip(f"{name} is installed here")

    error = start_error(make_project, {"apps/blog/models.py": f"import {name}\n"})

    assert f"pip install {distribution}" in str(error)


def test_an_installed_package_without_the_submodule_names_its_distribution_and_version(
    make_project: ProjectFactory,
) -> None:
    from importlib.metadata import version

    error = start_error(make_project, {"apps/blog/models.py": "import pluggy.spoc_test_missing\n"})

    assert f"'pluggy' is installed (pluggy {version('pluggy')}) but has no module 'pluggy.spoc_test_missing'" in str(
        error
    )
    assert "pip install --upgrade pluggy" in str(error)


def test_a_misspelled_module_of_the_project_is_a_typo_with_a_suggestion_not_a_package_to_install(
    make_project: ProjectFactory,
) -> None:
    error = start_error(make_project, {"apps/blog/views.py": "from apps.blog.modls import Post\n"})

    message = str(error)
    assert (error.module, error.line) == ("apps.blog.views", 1)
    assert "No module named 'apps.blog.modls'. The project has no module 'apps.blog.modls'" in message
    assert "(did you mean 'apps.blog.models'?)" in message
    assert "correct the import at that line" in message
    assert "pip" not in message


def test_a_misspelled_app_in_an_import_is_suggested_from_the_apps(make_project: ProjectFactory) -> None:
    error = start_error(make_project, {"apps/blog/views.py": "from apps.blgo.models import Post\n"})

    assert "The project has no module 'apps.blgo' (did you mean 'apps.blog'?)" in str(error)


def test_an_app_imported_without_the_apps_prefix_says_how_to_import_it(make_project: ProjectFactory) -> None:
    error = start_error(make_project, {"apps/blog/views.py": "from blog.models import Post\n"})

    message = str(error)
    assert "'blog' is an app of this project, and apps are imported from the 'apps' package" in message
    assert "write 'from apps.blog...'" in message
    assert "pip" not in message


def test_a_sibling_module_imported_by_its_bare_name_says_how_to_import_it(make_project: ProjectFactory) -> None:
    error = start_error(make_project, {"apps/blog/views.py": "from models import Post\n"})

    message = str(error)
    assert "'models' is a module next to views.py" in message
    assert "(from apps.blog.models import ...) or relatively (from .models import ...)" in message


# -- ImportError: a name a module lacks, a circular import ------------------------------------------


def test_a_name_a_module_does_not_define_is_suggested_from_its_names(make_project: ProjectFactory) -> None:
    files = {
        "apps/blog/models.py": "class Post:\n    pass\n",
        "apps/blog/views.py": "from apps.blog.models import Pots\n",
    }

    error = start_error(make_project, files)

    assert (error.module, error.line) == ("apps.blog.views", 1)
    assert "'apps.blog.models' defines no 'Pots' (did you mean 'Post'?): correct the name at that line." in str(error)


def test_a_circular_import_is_explained(make_project: ProjectFactory) -> None:
    files = {
        "apps/blog/models.py": "from apps.blog.views import render\n\nclass Post:\n    pass\n",
        "apps/blog/views.py": "from apps.blog.models import Post\n\ndef render():\n    pass\n",
    }

    error = start_error(make_project, files)

    assert "a circular import" in str(error)
    assert "Import the name inside the function that uses it" in str(error)


# -- Schema module names: refused before anything runs --------------------------------------------

TOML = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n\n[spoc.schema]\nmodules = {modules}\n'


def test_init_as_a_module_kind_is_refused_naming_the_line_and_the_app_package_runs_once(
    make_project: ProjectFactory,
) -> None:
    root = make_project(
        {"apps/blog/__init__.py": "import spoc_test_counter\nspoc_test_counter.runs += 1\n"},
        apps=["blog"],
        toml=TOML.format(modules='["models", "__init__"]'),
    )
    counter = type(sys)("spoc_test_counter")
    counter.runs = 0  # type: ignore[attr-defined]
    sys.modules["spoc_test_counter"] = counter

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    error = caught.value
    assert (error.path, error.line, error.key) == (root / "config" / "spoc.toml", 8, "spoc.schema.modules")
    assert str(error).startswith(f"{root / 'config' / 'spoc.toml'}:8: [spoc.schema] modules lists '__init__'")
    assert counter.runs == 0  # type: ignore[attr-defined]  # refused before any app is imported


def test_main_as_a_module_kind_is_refused_before_the_app_s_main_module_runs(make_project: ProjectFactory) -> None:
    root = make_project(
        {"apps/blog/__main__.py": "raise SystemExit(3)\n"},
        apps=["blog"],
        toml=TOML.format(modules='["models", "__main__"]'),
    )

    with pytest.raises(ConfigError, match=r"\[spoc.schema\] modules lists '__main__', which cannot be a module kind"):
        Framework(root)


def test_a_path_in_the_dependencies_table_is_refused_naming_its_line(make_project: ProjectFactory) -> None:
    toml = TOML.format(modules='["models", "views"]') + '\n[spoc.schema.dependencies]\nviews = ["../shared"]\n'
    root = make_project(apps=["blog"], toml=toml)

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert (caught.value.line, caught.value.key) == (11, "spoc.schema.dependencies.views")
    assert "[spoc.schema.dependencies] lists '../shared' as a dependency of 'views'" in str(caught.value)
