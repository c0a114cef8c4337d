"""One validation for every command: every problem at once in `check`, and listings that show what they can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc.cli.program import main

HINT = "hint: rerun with --traceback to see the full traceback"
TOML = """
    [spoc]
    mode = "production"

    [spoc.apps]
    production = ["users", "shop", "blog"]

    [spoc.schema]
    modules = ["models", "views"]

    [spoc.schema.dependencies]
    views = ["models"]
"""
# users is fine, shop is missing (listed at line 5), blog's models.py raises and its views.py imports it.
ONE_MISSING = {
    "config/spoc.toml": TOML,
    "apps/users/__init__.py": "",
    "apps/users/models.py": "import spoc\n\nclass User: ...\n\nspoc.component(User, metadata={'type': 'model'})\n",
    "apps/users/views.py": "",
    "apps/blog/__init__.py": "",
    "apps/blog/models.py": "Post = undefined_name\n",
    "apps/blog/views.py": "from apps.blog.models import Post\n",
}


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


def spoc(project: Path, *args: str) -> int:
    return main(["--project", str(project), *args])


@pytest.fixture
def one_missing(tmp_path: Path) -> Path:
    return write_files(tmp_path / "shop_missing", ONE_MISSING)


def errors_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error: ")]


# -- check: every problem at once ------------------------------------------------------------------


def test_check_reports_a_problem_for_every_wrong_key_of_spoc(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = (
        '[spoc]\nmode = 3\ndebug = "x"\napps = 4\nmodes = 5\nschema = 6\nplugins = 7\ndisable_plugins = 8\n'
        'plugin_errors = "ignore"\npause_gc = "maybe"\n'
    )
    project = make_project(toml=toml)

    assert spoc(project, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    keys = ["mode", "debug", "apps", "modes", "schema", "plugins", "disable_plugins", "plugin_errors", "pause_gc"]
    assert len(lines) == len(keys) + 1
    for line_number, (key, line) in enumerate(zip(keys, lines, strict=False), start=2):
        assert line.startswith(f"config: {project / 'config' / 'spoc.toml'}:{line_number}: 'spoc.{key}' = ")
    assert 'expected "raise" or "warn"' in lines[7]
    assert lines[-1] == "9 problem(s) found"


@pytest.mark.parametrize("command", ["apps", "plugins", "hooks", "settings", "graph", "components", "check"])
def test_every_command_rejects_a_plugin_errors_value_the_others_reject(
    command: str, make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(toml='[spoc]\nmode = "production"\nplugin_errors = "ignore"\n')

    assert spoc(project, command) == 1

    captured = capsys.readouterr()
    where = f"{project / 'config' / 'spoc.toml'}:3: 'spoc.plugin_errors' = 'ignore' is invalid: expected"
    assert where in captured.out + captured.err


def test_check_with_a_missing_app_still_imports_the_other_apps_and_reports_their_errors(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(one_missing, {"apps/users/__init__.py": "raise ValueError('no users table')\n"})

    assert spoc(one_missing, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["apps", "import", "import"]
    assert lines[0].startswith("apps: app 'shop' not found")
    assert f"it is listed in apps.production at {one_missing / 'config' / 'spoc.toml'}:5" in lines[0]
    assert "importing 'apps.users' of app 'users'" in lines[1] and "ValueError: no users table" in lines[1]
    assert "importing 'apps.blog.models' of app 'blog'" in lines[2] and "undefined_name" in lines[2]
    assert lines[-1] == "3 problem(s) found"


@pytest.mark.parametrize(
    ("models", "error"),
    [
        ("Post = undefined_name\n", "NameError: name 'undefined_name' is not defined"),
        ("class Post(:\n    pass\n", "SyntaxError"),
        ("import not_installed_package\n", "No module named 'not_installed_package'"),
    ],
)
def test_an_import_that_fails_is_reported_once_at_its_source(
    models: str, error: str, make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {key: value for key, value in ONE_MISSING.items() if key != "config/spoc.toml"}
    project = make_project(
        {**files, "apps/blog/models.py": models, "apps/users/views.py": "from apps.blog.models import Post\n"},
        toml=TOML.replace('"shop", ', ""),
    )

    assert spoc(project, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    # Not again for blog.views, nor for users.views, which import it (a SyntaxError also shows its line).
    assert [line for line in lines if line.startswith("import:")] == [lines[0]], lines
    assert lines[0].startswith("import: importing 'apps.blog.models' of app 'blog'") and error in lines[0]
    assert lines[-1] == "1 problem(s) found"


def test_an_import_of_a_missing_app_is_reported_as_the_missing_app(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(
        one_missing,
        {"apps/users/views.py": "from apps.shop.models import Product\n", "apps/blog/models.py": "Post = 1\n"},
    )

    assert spoc(one_missing, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("apps: app 'shop' not found")
    assert lines[1:] == ["1 problem(s) found"]


def test_an_app_package_importing_a_broken_app_package_is_reported_once(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(
        one_missing,
        {
            "config/spoc.toml": TOML.replace('"shop", ', ""),
            "apps/users/__init__.py": "raise RuntimeError('users cannot start')\n",
            "apps/blog/__init__.py": "import apps.users\n",
        },
    )

    assert spoc(one_missing, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    assert "importing 'apps.users' of app 'users'" in lines[0] and "users cannot start" in lines[0]


# -- listings: what they can, the problem marked, the error after ----------------------------------


def test_apps_lists_every_app_marks_the_missing_one_and_names_where_it_is_listed(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(one_missing, {"apps/blog/__init__.py": "raise ImportError('blog is broken')\n"})

    assert spoc(one_missing, "apps") == 1

    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "mode: production (loads production)",
        "#  app    listed in        problem",
        "1  users  apps.production",
        "2  shop   apps.production  not found",
        "3  blog   apps.production  fails to import",
    ]
    errors = errors_of(captured.err)
    assert errors[0].startswith(f"error: app 'shop' not found: expected a package at {one_missing / 'apps' / 'shop'}")
    assert f"listed in apps.production at {one_missing / 'config' / 'spoc.toml'}:5" in errors[0]
    assert "ImportError: blog is broken" in errors[1]
    assert captured.err.splitlines()[-1] == HINT


def test_apps_json_marks_the_missing_app_and_exits_1(one_missing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(one_missing, "apps", "--json") == 1

    captured = capsys.readouterr()
    apps = json.loads(captured.out)["apps"]
    assert [(app["name"], app["problem"]) for app in apps] == [("users", None), ("shop", "not found"), ("blog", None)]
    assert errors_of(captured.err)[0].startswith("error: app 'shop' not found")


def test_settings_lists_the_settings_and_marks_the_list_naming_the_missing_app(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(one_missing, "settings", "spoc.apps") == 1

    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "mode: production (loads production)",
        "key                   value                      source              problem",
        'spoc.apps.production  ["users", "shop", "blog"]  config/spoc.toml:5  \'shop\' not found',
    ]
    assert errors_of(captured.err)[0].startswith("error: app 'shop' not found")
    assert captured.err.splitlines()[-1] == HINT


def test_settings_of_a_project_with_a_missing_app_still_lists_the_plugin_sections(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    section = (
        "import spoc\nfrom pydantic import BaseModel\n\nclass Feed(BaseModel):\n    size: int = 10\n\n"
        "@spoc.hookimpl\ndef spoc_load_settings():\n    return {'feed': Feed}\n"
    )
    write_files(one_missing, {"apps/users/__init__.py": section})

    assert spoc(one_missing, "settings", "spoc.feed") == 1

    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["key             value  source", "spoc.feed.size  10     default"]


def test_graph_draws_the_apps_that_exist_and_marks_the_missing_one(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(one_missing, "graph") == 1

    captured = capsys.readouterr()
    assert '    subgraph app__shop["app 2: shop"]\n        broken__shop["not found"]\n    end\n' in captured.out
    assert '        module__blog_views["4. blog.views"]\n' in captured.out
    assert errors_of(captured.err)[0].startswith("error: app 'shop' not found")


def test_graph_as_dot_marks_the_missing_app(one_missing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(one_missing, "graph", "--format", "dot") == 1

    assert '        broken__shop [label="not found", style=dashed];\n' in capsys.readouterr().out


def test_components_lists_the_components_of_the_apps_that_exist_then_the_errors(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(one_missing, "components") == 1

    captured = capsys.readouterr()
    assert [line.split()[:2] for line in captured.out.splitlines()] == [["kind", "name"], ["models", "users.User"]]
    errors = errors_of(captured.err)
    assert len(errors) == 2  # blog.views fails with blog.models' error: said once
    assert errors[0].startswith("error: app 'shop' not found")
    assert "importing 'apps.blog.models' of app 'blog'" in errors[1]


def test_a_listing_with_a_broken_installed_plugin_lists_the_apps_then_the_error(
    one_missing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_files(
        tmp_path / "site",
        {
            "spoc_test_broken.py": "raise RuntimeError('no database driver')\n",
            "spoc_broken-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-broken\nVersion: 2.0\n",
            "spoc_broken-2.0.dist-info/entry_points.txt": "[spoc.plugins]\nbroken = spoc_test_broken\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "broken")
    write_files(one_missing, {"config/spoc.toml": TOML.replace('"shop", ', "")})

    assert spoc(one_missing, "apps") == 1

    captured = capsys.readouterr()
    assert "2  blog   apps.production" in captured.out
    assert errors_of(captured.err) == [
        "error: plugin 'broken' from spoc-broken 2.0 failed to load: RuntimeError: no database driver. Upgrade or "
        "uninstall it, or disable it: disable_plugins = ['broken'] under [spoc], '-p no:broken' on the command line, "
        'or SPOC_DISABLE_PLUGIN_AUTOLOAD=1; plugin_errors = "warn" under [spoc] skips broken plugins with a warning '
        "instead."
    ]
    assert "warning:" not in captured.err  # the failure is said once, as the error


def test_a_cycle_stops_the_listings_that_need_the_module_order(
    one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(
        one_missing, {"config/spoc.toml": TOML.replace('views = ["models"]', 'views = ["models"]\nmodels = ["views"]')}
    )

    assert spoc(one_missing, "graph") == 1
    assert spoc(one_missing, "apps") == 1  # the apps are known: listed, then both problems

    captured = capsys.readouterr()
    assert "3  blog   apps.production" in captured.out
    errors = errors_of(captured.err)
    assert errors[0].startswith("error: the module dependencies form a cycle: ")
    assert sum("dependencies form a cycle" in error for error in errors) == 2
    assert sum("app 'shop' not found" in error for error in errors) == 2


# -- a project without module kinds ---------------------------------------------------------------


def test_check_and_components_say_why_no_module_was_imported_when_there_is_no_schema(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(apps=["blog"])
    why = (
        f"warning: no module of the apps was imported (only their packages): {project / 'config' / 'spoc.toml'} "
        'declares no module kinds. Declare them under [spoc.schema], e.g. modules = ["models", "views"]; the command '
        "line does not see a Schema passed to Framework(...) in code.\n"
    )

    assert spoc(project, "check") == 0
    checked = capsys.readouterr()
    assert spoc(project, "components") == 0
    listed = capsys.readouterr()
    assert spoc(project, "components", "--json") == 0
    as_json = capsys.readouterr()

    assert checked.out.startswith("OK: 1 app(s), 0 module(s)")
    assert checked.err == why
    assert (listed.out, listed.err) == ("no components\n", why)
    assert json.loads(as_json.out)["components"] == []
    assert as_json.err == why


def test_a_project_without_apps_needs_no_module_kinds(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(apps=[])

    assert spoc(project, "check") == 0

    assert capsys.readouterr().err == ""


# -- --mode is blamed on --mode -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["apps", "plugins", "hooks", "settings", "graph", "components", "check"])
def test_an_unknown_mode_given_with_mode_is_blamed_on_mode_by_every_command(
    command: str, one_missing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(one_missing, "--mode", "prod", command) == 1

    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert "unknown mode 'prod' (from --mode); valid modes: development, staging, production." in said
    assert "Framework(settings" not in said
