"""The ``spoc`` command line in-process: global options, apps, components, check, graph, init, plugin commands."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc.cli.context import COMMANDS
from spoc.cli.output import TRACEBACK_HINT as HINT
from spoc.cli.program import main

TRACEBACK_HINT = HINT + "\n"

TOML = """
    [spoc]
    mode = "production"

    [spoc.apps]
    production = ["users", "blog"]

    [spoc.schema]
    modules = ["models", "views"]

    [spoc.schema.dependencies]
    views = ["models"]
"""
HOOKS = """
    import spoc

    @spoc.hookimpl
    def spoc_startup(framework):
        pass

    @spoc.hookimpl
    def spoc_shutdown(framework):
        pass
"""
# Tagged by calls, not decorators, so that the reported lines are the same on every Python.
USERS_MODELS = """
    import spoc

    class User:
        pass

    spoc.component(User, metadata={"type": "model"})
"""
USERS_VIEWS = """
    import spoc

    def list_users():
        return []

    spoc.component(list_users, metadata={"type": "view"})
"""
BLOG_MODELS = """
    import spoc

    class Post:
        pass

    spoc.component(Post, metadata={"type": "model"})
"""
BLOG_VIEWS = """
    import spoc

    def list_posts():
        return []

    def show_post(slug):
        return slug

    spoc.component(list_posts, metadata={"type": "view"})
    spoc.component(show_post, metadata={"type": "view"})
"""
HEALTHY = {
    "config/spoc.toml": TOML,
    "apps/users/__init__.py": "",
    "apps/users/models.py": USERS_MODELS,
    "apps/users/views.py": USERS_VIEWS,
    "apps/blog/__init__.py": HOOKS,
    "apps/blog/models.py": BLOG_MODELS,
    "apps/blog/views.py": BLOG_VIEWS,
}
# An app listed that has no folder, and a models.py that raises, imported by views.py: each said once.
MISSING = {
    **HEALTHY,
    "config/spoc.toml": TOML.replace('["users", "blog"]', '["users", "shop", "blog"]'),
    "apps/blog/models.py": BLOG_MODELS.replace("class Post:", "class Post(Model):"),
    "apps/blog/views.py": BLOG_VIEWS.replace("import spoc\n", "import spoc\n    from apps.blog.models import Post\n"),
}
# Five problems that a plain startup would report one at a time.
BROKEN = {
    **HEALTHY,
    "apps/users/models.py": USERS_MODELS + "\n    class User:\n        pass\n\n    spoc.component(User)\n",
    "apps/users/views.py": USERS_VIEWS + "\n    def initialize():\n        raise ValueError('no template folder')\n",
    "apps/blog/__init__.py": HOOKS.replace("pass", "raise RuntimeError('database is down')", 1),
    "apps/blog/models.py": BLOG_MODELS + "\n    def teardown():\n        raise OSError('disk full')\n",
    "apps/blog/views.py": "from apps.blog.models import Article\n",
}


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed first-party plugins would change every listing; tests opt in with -p."""
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def healthy(tmp_path: Path) -> Path:
    return write_files(tmp_path / "healthy", HEALTHY)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write_files(tmp_path / "broken", BROKEN)


def spoc(project: Path | None, *args: str) -> int:
    return main([*(["--project", str(project)] if project else []), *args])


# -- global options ------------------------------------------------------------------------


def test_version_names_spoc_pluggy_and_python(capsys: pytest.CaptureFixture[str]) -> None:
    import pluggy

    import spoc as spoc_package

    assert main(["--version"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"spoc {spoc_package.__version__} at ")
    assert out[1] == f"pluggy {pluggy.__version__}"
    assert out[2].startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}.")


def test_version_lists_installed_plugins_with_versions_and_marks_disabled_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_files(
        tmp_path / "site",
        {
            "spoc_audit-2.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-audit\nVersion: 2.1.0\n",
            "spoc_audit-2.1.0.dist-info/entry_points.txt": "[spoc.plugins]\naudit = spoc_test_audit\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("SPOC_DISABLE_PLUGIN_AUTOLOAD")

    assert main(["--version"]) == 0
    assert "  audit: spoc-audit 2.1.0\n" in capsys.readouterr().out

    assert main(["-p", "no:audit", "--version"]) == 0
    assert "  audit: spoc-audit 2.1.0  (disabled)\n" in capsys.readouterr().out


def test_a_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])

    assert exit_info.value.code == 2
    assert "error: a command is required" in capsys.readouterr().err


def test_outside_a_project_commands_say_how_to_point_at_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["check"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"error: no SPOC project found in {tmp_path}")
    assert "pass --project DIR" in err
    assert "Traceback" not in err


def test_the_project_is_found_upward_from_the_working_folder(
    healthy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(healthy / "apps" / "blog")

    assert main(["apps"]) == 0

    assert "users" in capsys.readouterr().out


# -- apps --------------------------------------------------------------------------------------


def test_apps_json_gives_the_mode_its_cascade_and_where_each_app_is_listed(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "--mode", "staging", "apps", "--json") == 0

    assert json.loads(capsys.readouterr().out) == {
        "format_version": 1,
        "mode": "staging",
        "cascade": ["staging", "production"],
        "apps": [
            {"name": "users", "listed_in": "apps.production", "problem": None},
            {"name": "blog", "listed_in": "apps.production", "problem": None},
        ],
    }


def test_apps_reports_an_unknown_mode_as_an_error(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(healthy, "--mode", "prod", "apps") == 1

    err = capsys.readouterr().err
    assert "'prod'" in err and "production" in err
    assert "Traceback" not in err


# -- components --------------------------------------------------------------------------------


def test_components_lists_kind_name_type_module_and_definition_site(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "components") == 0

    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        ["kind", "name", "type", "module", "defined", "at"],
        ["models", "users.User", "model", "apps.users.models", "apps/users/models.py:6"],
        ["models", "blog.Post", "model", "apps.blog.models", "apps/blog/models.py:6"],
        ["views", "users.list_users", "view", "apps.users.views", "apps/users/views.py:6"],
        ["views", "blog.list_posts", "view", "apps.blog.views", "apps/blog/views.py:9"],
        ["views", "blog.show_post", "view", "apps.blog.views", "apps/blog/views.py:10"],
    ]


def test_components_of_one_kind_as_json(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(healthy, "components", "models", "--json") == 0

    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    assert [(item["name"], item["app"], item["type"]) for item in document["components"]] == [
        ("users.User", "users", "model"),
        ("blog.Post", "blog", "model"),
    ]
    assert document["components"][0]["location"] == f"{healthy.resolve()}/apps/users/models.py:6"


def test_components_of_an_unknown_kind_is_an_error_with_a_suggestion(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "components", "model") == 1

    err = capsys.readouterr().err
    assert err == "error: no module kind 'model' (did you mean 'models'?); kinds: models, views. " + (
        "The kinds are the modules of [spoc.schema] in spoc.toml.\n" + TRACEBACK_HINT
    )


def test_components_says_when_there_are_none(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(apps=[])

    assert spoc(project, "components") == 0

    assert capsys.readouterr().out == "no components\n"


def test_components_lists_what_a_failing_start_collected_then_every_error(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(broken, "components") == 1

    captured = capsys.readouterr()
    names = [line.split()[1] for line in captured.out.splitlines()[1:]]
    assert names == ["blog.Post", "users.list_users"]  # users.models defines User twice, blog.views fails
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 5
    assert "component 'users.User' of kind 'models' is defined twice" in errors[0]
    assert "`users.views.initialize()` failed: ValueError: no template folder" in errors[1]
    assert "cannot import name 'Article'" in errors[2]
    assert "RuntimeError: database is down" in errors[3]
    assert "`blog.models.teardown()` failed: OSError: disk full" in errors[4]
    assert captured.err.endswith(TRACEBACK_HINT)
    assert "Traceback" not in captured.err


# -- check -------------------------------------------------------------------------------------


def test_check_of_a_healthy_project_prints_one_ok_line(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(healthy, "check") == 0

    assert capsys.readouterr().out == (
        "OK: 2 app(s), 4 module(s) and 0 plugin(s) constructed, started and stopped without a problem\n"
    )


def test_check_reports_every_problem_of_one_run_and_fails(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(broken, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    areas = [line.split(":")[0] for line in lines[:-1]]
    assert areas == ["components", "startup", "import", "startup", "shutdown"]  # in the order of the steps
    assert "component 'users.User' of kind 'models' is defined twice" in lines[0]
    assert "`users.views.initialize()` failed: ValueError: no template folder" in lines[1]
    assert "importing 'apps.blog.views' of app 'blog'" in lines[2] and "Article" in lines[2]
    assert "`spoc_startup of app plugin 'apps.blog'" in lines[3] and "RuntimeError: database is down" in lines[3]
    assert "`blog.models.teardown()` failed: OSError: disk full" in lines[4]
    assert lines[-1] == "5 problem(s) found"


def test_check_does_not_undo_a_step_that_failed(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(broken, {"apps/blog/__init__.py": HOOKS.replace("pass", "raise RuntimeError('database is down')")})

    assert spoc(broken, "check") == 1

    out = capsys.readouterr().out
    assert "database is down" in out
    assert "spoc_shutdown" not in out  # blog never started, so it is not stopped


def test_check_reports_every_missing_app_and_the_cycle_before_constructing(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = TOML.replace('["users", "blog"]', '["usres", "blog", "shop"]').replace(
        'views = ["models"]', 'views = ["models"]\n    models = ["views"]'
    )
    write_files(healthy, {"config/spoc.toml": toml})

    assert spoc(healthy, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["schema", "apps", "apps"]
    assert "cycle: models -> views -> models" in lines[0] or "cycle: views -> models -> views" in lines[0]
    assert "app 'usres' not found" in lines[1] and "did you mean 'users'?" in lines[1]
    assert "app 'shop' not found" in lines[2]
    assert lines[-1] == "3 problem(s) found"


def test_check_reports_each_configuration_problem_on_its_own_line(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(healthy, {"config/spoc.toml": '[spoc]\nmode = "production"\ndebg = true\napps = ["blog"]\n'})

    assert spoc(healthy, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("config: ") and "debg" in lines[0]
    assert lines[1].startswith("config: ") and "spoc.apps" in lines[1]
    assert lines[2] == "2 problem(s) found"


def test_check_reports_a_broken_installed_plugin_instead_of_crashing(
    healthy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_files(
        tmp_path / "site",
        {
            "spoc_timing-1.2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-timing\nVersion: 1.2.0\n",
            "spoc_timing-1.2.0.dist-info/entry_points.txt": "[spoc.plugins]\ntiming = spoc_test_timing\n",
            "spoc_test_timing.py": "import not_installed_dependency\n",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "timing")

    assert spoc(healthy, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "plugins: plugin 'timing' (spoc-timing 1.2.0) failed to load: "
        "ModuleNotFoundError: No module named 'not_installed_dependency'"
    )
    assert lines[1] == "    hint: upgrade or uninstall it, or disable it with '-p no:timing'"
    assert lines[-1] == "1 problem(s) found"


def test_check_reports_an_invalid_plugin_found_while_constructing(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(healthy, {"apps/users/__init__.py": "import spoc\n\n@spoc.hookimpl\ndef spoc_strtup(): ...\n"})

    assert spoc(healthy, "check") == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("plugins: ") and "did you mean 'spoc_startup'?" in lines[0]
    assert lines[-1] == "1 problem(s) found"


CHECKS = """
    import spoc
    from spoc.checks import Problem

    @spoc.hookimpl
    def spoc_check(framework):
        if "blog.edit_post" not in framework.components.views:
            return [
                Problem("blog", "no view edits a post", hint="add edit_post to apps/blog/views.py", id="blog.E001"),
                Problem("blog", "posts have no author", id="blog.W001", level="warning"),
                "the blog has no feed",
            ]
        return None
"""


def test_apps_contribute_checks_with_ids_hints_and_warnings(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(healthy, {"apps/blog/checks.py": CHECKS, "apps/blog/__init__.py": "from apps.blog.checks import *\n"})

    assert spoc(healthy, "check") == 1

    assert capsys.readouterr().out == (
        "blog: [blog.E001] no view edits a post\n"
        "    hint: add edit_post to apps/blog/views.py\n"
        "blog: [blog.W001] [warning] posts have no author\n"
        "apps.blog: the blog has no feed\n"
        "2 problem(s) found, 1 warning(s)\n"
    )


def test_a_check_that_raises_or_returns_nonsense_is_itself_a_problem(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = """
        import spoc

        class Raising:
            @spoc.hookimpl
            def spoc_check(self):
                raise KeyError("settings")

        class Nonsense:
            @spoc.hookimpl
            def spoc_check(self):
                return [42]
    """
    write_files(healthy, {"spoc_test_checks.py": checks})
    sys.path.insert(0, str(healthy))

    assert spoc(healthy, "-p", "spoc_test_checks.Raising", "-p", "spoc_test_checks.Nonsense", "check") == 1

    where = healthy / "spoc_test_checks.py"
    assert capsys.readouterr().out == (
        f"check: configured plugin 'spoc_test_checks.Raising' raised in spoc_check at {where}:4: "
        "KeyError: 'settings'. Fix the implementation.\n"
        f"check: spoc_check of configured plugin 'spoc_test_checks.Nonsense' at {where}:9 returned 42\n"
        "    hint: return a list of spoc.checks.Problem or of strings\n"
        "2 problem(s) found\n"
    )


def test_warnings_alone_do_not_fail_the_check(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(healthy, {"config/spoc.toml": TOML + "\n    [spoc.timing]\n    slow_ms = 250\n"})

    assert spoc(healthy, "check") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("config: [warning] ") and "[spoc.timing]" in lines[0]
    assert lines[1].startswith("OK: ") and lines[1].endswith(", 1 warning(s)")


def test_check_timings_lists_the_slowest_steps_like_pytest_durations(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "check", "--durations", "3") == 0

    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"slowest 3 of \d+ lifecycle steps \(\d+\.\d ms in all\):", lines[0])
    assert lines[1].split() == ["ms", "kind", "step"]
    shown = [float(line.split()[0]) for line in lines[2:5]]
    assert shown == sorted(shown, reverse=True)
    assert lines[5].startswith("OK: ")


def test_check_durations_zero_shows_every_step_including_undo_steps(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "check", "--durations", "0") == 0

    out = capsys.readouterr().out
    for label in ("import blog.views", "unload blog.views", "spoc_startup of app plugin 'apps.blog'"):
        assert label in out
    assert "  undo " in out


def test_check_timings_shows_ten_steps(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(healthy, "check", "--timings") == 0

    assert re.match(r"slowest 10 of \d+ lifecycle steps", capsys.readouterr().out)


@pytest.mark.parametrize("value", ["-1", "many"])
def test_check_durations_must_be_a_count(healthy: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        spoc(healthy, "check", "--durations", value)

    assert exit_info.value.code == 2
    assert "expected 0 (every step) or a positive whole number" in capsys.readouterr().err


def test_check_json_lists_problems_with_their_fields(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(broken, "check", "--json") == 1

    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    assert document["ok"] is False
    assert [problem["area"] for problem in document["problems"]] == [
        "components",
        "startup",
        "import",
        "startup",
        "shutdown",
    ]
    assert set(document["problems"][0]) == {"area", "message", "hint", "id", "level"}
    assert document["timings"] == []


def test_check_leaves_the_project_stopped_and_can_run_twice(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(healthy, "check") == 0
    assert "apps.blog.models" not in sys.modules
    assert spoc(healthy, "check") == 0
    assert capsys.readouterr().out.count("OK: ") == 2


# -- graph -------------------------------------------------------------------------------------


def test_graph_draws_apps_modules_in_import_order_and_hooks_in_call_order_as_mermaid(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "graph") == 0

    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n")
    assert '    subgraph app__users["app 1: users"]\n' in out
    assert '        module__users_models["1. users.models"]\n' in out
    assert '        module__blog_views["4. blog.views"]\n' in out
    assert "    module__blog_views -. needs .-> module__blog_models\n" in out
    assert '        hook__spoc_startup__1["1. apps.blog"]\n' in out
    assert '        hook__spoc_invoke__1["1. spoc.builtins"]\n' in out
    assert out.count("subgraph") == out.count("    end\n")


def test_graph_marks_wrappers_and_chains_implementations_in_call_order(
    healthy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrapper = "import spoc\n\n@spoc.hookimpl(wrapper=True)\ndef spoc_invoke(component):\n    return (yield)\n"
    write_files(healthy, {"apps/users/__init__.py": wrapper})

    assert spoc(healthy, "graph") == 0

    out = capsys.readouterr().out
    assert '        hook__spoc_invoke__1["1. apps.users (wrapper)"]\n' in out
    assert "        hook__spoc_invoke__1 --> hook__spoc_invoke__2\n" in out


def test_graph_as_dot(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert spoc(healthy, "graph", "--format", "dot") == 0

    out = capsys.readouterr().out
    assert out.startswith("digraph spoc {\n") and out.endswith("}\n")
    assert '        module__blog_models [label="2. blog.models"];\n' in out
    assert '    module__users_views -> module__users_models [style=dashed, label="needs"];\n' in out
    assert out.count("{") == out.count("}")


def test_graph_rejects_an_unknown_format(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        spoc(healthy, "graph", "--format", "png")

    assert exit_info.value.code == 2
    assert "invalid choice: 'png'" in capsys.readouterr().err


def test_graph_of_a_project_with_a_cycle_is_an_error(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(
        healthy, {"config/spoc.toml": TOML.replace('views = ["models"]', 'views = ["models"]\n    models = ["views"]')}
    )

    assert spoc(healthy, "graph") == 1

    err = capsys.readouterr().err
    assert err.startswith("error: the module dependencies form a cycle")
    assert "Traceback" not in err


# -- init --------------------------------------------------------------------------------------


def test_init_writes_a_project_that_passes_check_and_lists_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["init", "my_site"]) == 0

    assert capsys.readouterr().out == (
        "created app project 'my_site' in my_site:\n"
        "  config/spoc.toml\n"
        "  apps/hello/__init__.py\n"
        "  apps/hello/models.py\n"
        "  apps/hello/views.py\n"
        "  main.py\n"
        "next: cd my_site && python main.py (then: python -m spoc check)\n"
    )
    assert "[spoc.schema]" in (tmp_path / "my_site" / "config" / "spoc.toml").read_text()
    assert main(["--project", "my_site", "check"]) == 0
    assert capsys.readouterr().out.startswith("OK: 1 app(s), 2 module(s)")


def test_init_minimal_template_has_no_apps_and_passes_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["init", "bare", "--template", "minimal"]) == 0
    assert sorted(str(p.relative_to(tmp_path / "bare")) for p in (tmp_path / "bare").rglob("*.*")) == [
        "config/spoc.toml",
        "main.py",
    ]
    assert main(["--project", "bare", "check"]) == 0
    assert "OK: 0 app(s)" in capsys.readouterr().out


def test_init_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "site", {"main.py": "print('mine')\n"})

    assert main(["init", "site"]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error: not writing the project into site: main.py already exists there, and init never overwrites "
        "a file. Choose a new NAME, or move those files away.\n" + TRACEBACK_HINT
    )
    assert (tmp_path / "site" / "main.py").read_text() == "print('mine')\n"
    assert not (tmp_path / "site" / "config").exists()


def test_init_into_a_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")

    assert main(["init", "notes.txt"]) == 1

    assert capsys.readouterr().err == (
        "error: cannot create a project in notes.txt: it is a file. Choose another NAME.\n" + TRACEBACK_HINT
    )


def test_init_rejects_an_unknown_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["init", str(tmp_path / "x"), "--template", "django"])

    assert exit_info.value.code == 2
    assert "invalid choice: 'django'" in capsys.readouterr().err


# -- commands added by plugins ----------------------------------------------------------------

COMMAND_PLUGIN = """
    import spoc
    from spoc.errors import SpocError

    def hello(args, context):
        with context.framework() as fw:
            print(f"hello {args.who} from {', '.join(fw.installed_apps)}")
        return 3

    def fail(args, context):
        raise SpocError("the routes are tangled")

    @spoc.hookimpl
    def spoc_add_commands(subparsers):
        parser = subparsers.add_parser("hello", help="say hello")
        parser.add_argument("who")
        parser.set_defaults(run=hello)
        subparsers.add_parser("fail", help="fail").set_defaults(run=fail)
        subparsers.add_parser("norun", help="forgot set_defaults")
"""


@pytest.fixture
def command_plugins(tmp_path: Path) -> Path:
    folder = write_files(
        tmp_path / "plugins",
        {
            "spoc_test_commands.py": COMMAND_PLUGIN,
            "spoc_test_bad_commands.py": (
                "import spoc\n\n@spoc.hookimpl\ndef spoc_add_commands(subparsers):\n    raise RuntimeError('oops')\n"
            ),
            "spoc_test_greedy.py": (
                "import spoc\n\n@spoc.hookimpl\ndef spoc_add_commands(subparsers):\n"
                "    subparsers.add_parser('check').set_defaults(run=lambda args, context: 7)\n"
            ),
        },
    )
    sys.path.insert(0, str(folder))
    return folder


def test_a_plugin_adds_a_command_that_runs_with_the_project(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "-p", "spoc_test_commands", "hello", "world") == 3

    assert capsys.readouterr().out == "hello world from users, blog\n"


def test_plugin_commands_show_in_help(command_plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["-p", "spoc_test_commands", "--help"])

    assert exit_info.value.code == 0
    assert "say hello" in capsys.readouterr().out


def test_a_plugin_command_error_prints_one_line(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "-p", "spoc_test_commands", "fail") == 1

    assert capsys.readouterr().err == "error: the routes are tangled\n" + TRACEBACK_HINT


def test_a_plugin_command_without_a_run_function_names_the_plugin_and_the_fix(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "-p", "spoc_test_commands", "norun") == 1

    err = capsys.readouterr().err
    assert "the command 'norun' of plugin 'spoc_test_commands' has no function to run" in err
    assert "parser.set_defaults(run=function)" in err


def test_a_plugin_failing_to_add_commands_is_one_error_naming_the_plugin_the_hook_and_the_fix(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "-p", "spoc_test_bad_commands", "-p", "spoc_test_commands", "hello", "you") == 1

    captured = capsys.readouterr()
    where = command_plugins / "spoc_test_bad_commands.py"
    assert captured.err == (
        f"error: configured plugin 'spoc_test_bad_commands' raised in spoc_add_commands at {where}:3: "
        "RuntimeError: oops. Fix the implementation.\n" + TRACEBACK_HINT
    )
    assert captured.out == ""


def test_a_plugin_failing_to_add_commands_shows_its_traceback_with_traceback(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "--traceback", "-p", "spoc_test_bad_commands", "hello") == 1

    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert "    raise RuntimeError('oops')\nRuntimeError: oops\n" in err
    assert "The above exception was the direct cause of the following exception" in err
    assert err.endswith(
        "raised in spoc_add_commands at " + f"{command_plugins / 'spoc_test_bad_commands.py'}:3: "
        "RuntimeError: oops. Fix the implementation.\n"
    )


def test_a_plugin_cannot_replace_a_built_in_command(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "-p", "spoc_test_greedy", "--help") == 1

    err = capsys.readouterr().err
    assert err.startswith("error: configured plugin 'spoc_test_greedy' raised in spoc_add_commands at ")
    assert "conflicting subparser: check" in err  # on Python 3.10, where argparse lets it pass, too
    assert spoc(healthy, "-p", "spoc_test_greedy", "check") == 0  # built-in commands never ask plugins


def test_built_in_commands_never_ask_plugins_for_commands(
    healthy: Path, command_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spoc(healthy, "-p", "spoc_test_bad_commands", "apps") == 0

    assert capsys.readouterr().err == ""


def test_version_never_asks_plugins_for_commands(command_plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-p", "spoc_test_bad_commands", "--version"]) == 0

    assert capsys.readouterr().err == ""
    assert "spoc_test_bad_commands" not in sys.modules  # --version lists plugins, it does not load them


def test_an_unknown_command_is_a_usage_error(healthy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        spoc(healthy, "chek")

    assert exit_info.value.code == 2
    assert "invalid choice: 'chek'" in capsys.readouterr().err


# -- docs: the output shown in docs/cli/*.md is what the commands print --------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli"
DOCS_PROJECT = "/srv/my_project"
# <!-- spoc-cli: healthy | components --> followed by a fenced block: "$ python -m spoc components" and the output.
MARKED = re.compile(
    r"<!-- spoc-cli: (?P<project>\w+) \| (?P<args>[^>]*?) -->\n```\w*\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE
)
REGENERATE = os.environ.get("SPOC_REGENERATE_DOCS") == "1"
# Where SPOC and the first-party plugins are installed differs per machine; the docs show one place.


def _installed_at() -> dict[str, str]:
    shown = {}
    for name in ("spoc", "spoc_timing", "spoc_logging"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin is not None:
            shown[str(Path(spec.origin).resolve().parent)] = f"/srv/venv/lib/python3.12/site-packages/{name}"
    return shown


INSTALLED_AT = _installed_at()


def _marked_blocks() -> list[tuple[str, str, str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for match in MARKED.finditer(page.read_text(encoding="utf-8")):
            found.append((page.name, match["project"], match["args"], match["text"]))
    return found


def test_the_docs_show_command_output() -> None:
    pages = {page for page, *_ in _marked_blocks()}
    assert {f"{command}.md" for command in COMMANDS} <= pages


@pytest.mark.parametrize(("page", "project", "args", "shown"), _marked_blocks())
def test_command_output_in_the_docs_is_current(
    page: str,
    project: str,
    args: str,
    shown: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path.resolve() / "my_project"
    if project != "none":
        write_files(root, {"healthy": HEALTHY, "broken": BROKEN, "missing": MISSING}[project])
    root.mkdir(exist_ok=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps --help to the terminal's width

    with contextlib.suppress(SystemExit):  # usage errors are shown in the docs too
        main(args.split())
    captured = capsys.readouterr()
    output = f"$ python -m spoc {args}\n{captured.out}{captured.err}".replace(str(root), DOCS_PROJECT)
    for package, shown_at in INSTALLED_AT.items():
        output = output.replace(package, shown_at)

    if REGENERATE:  # pragma: no cover - a maintainer's tool: SPOC_REGENERATE_DOCS=1 pytest tests/test_cli.py
        path = DOCS / page

        def current(match: re.Match[str]) -> str:
            if (match["project"], match["args"]) != (project, args):
                return match[0]
            return match[0].replace(match["text"], output)

        path.write_text(MARKED.sub(current, path.read_text(encoding="utf-8")), encoding="utf-8")
    assert output == shown, f"docs/cli/{page}: the output of 'spoc {args}' changed; the command prints:\n{output}"
