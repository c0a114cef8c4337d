"""`python -m spoc plugins` and `python -m spoc hooks`, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc.cli.program import main

MIDDLEWARE = """
    import spoc

    @spoc.hookimpl(wrapper=True, tryfirst=True)
    def spoc_invoke(component, args, kwargs):
        return (yield)
"""
AUDIT = """
    import spoc

    @spoc.hookimpl(wrapper=True)
    def spoc_invoke(component, args, kwargs):
        return (yield)

    @spoc.hookimpl
    def spoc_startup(framework):
        pass

    @spoc.hookimpl
    def spoc_shutdown(framework):
        pass
"""


@pytest.fixture
def project(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")  # only this project's plugins
    return make_project(
        {"apps/auth/__init__.py": MIDDLEWARE, "apps/audit/__init__.py": AUDIT, "apps/plain/__init__.py": ""},
        toml='[spoc]\nmode = "production"\n[spoc.apps]\nproduction = ["auth", "audit", "plain"]\n',
    )


def test_plugins_lists_app_plugins_with_their_hooks(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project), "plugins"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "version", "distribution", "source", "status", "hooks"]
    apps = [line.split() for line in lines if " app " in line]
    assert apps == [
        ["apps.auth", "-", "-", "app", "active", "spoc_invoke"],
        ["apps.audit", "-", "-", "app", "active", "spoc_invoke,", "spoc_shutdown,", "spoc_startup"],
    ]  # an app without hooks is no plugin
    assert not any("builtin" in line for line in lines)  # built-ins only with --all
    assert all(line.split()[4] == "blocked" for line in lines[1:] if "entrypoint" in line)  # autoload is off
    assert len({line.index("active") for line in lines if "active" in line}) == 1  # columns line up


def test_plugins_all_json_includes_the_builtins_in_format_version_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", str(project), "plugins", "--all", "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    first = document["plugins"][0]
    assert first == {
        "name": "spoc.builtins",
        "version": None,
        "distribution": None,
        "source": "builtin",
        "status": "active",
        "hooks": ["spoc_invoke", "spoc_run_step"],
        "error": None,
    }


def test_hooks_shows_the_invoke_chain_with_the_tryfirst_wrapper_outermost(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", str(project), "hooks", "spoc_invoke"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "spoc_invoke  [firstresult]"
    assert lines[1].split()[:2] == ["1.", "apps.auth"] and lines[1].endswith("[wrapper, tryfirst]")
    assert lines[2].split()[:2] == ["2.", "apps.audit"] and lines[2].endswith("[wrapper]")
    assert lines[3].split()[:2] == ["3.", "spoc.builtins"] and lines[3].endswith("[trylast]")
    assert str(project / "apps" / "auth" / "__init__.py") in lines[1]


def test_hooks_json_lists_shutdown_in_the_reverse_of_startup(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    project = make_project(
        {"apps/one/__init__.py": AUDIT, "apps/two/__init__.py": AUDIT},
        toml='[spoc]\nmode = "production"\n[spoc.apps]\nproduction = ["one", "two"]\n',
    )

    assert main(["--project", str(project), "hooks", "--json"]) == 0

    hooks = {hook["name"]: hook for hook in json.loads(capsys.readouterr().out)["hooks"]}
    started = [impl["plugin"] for impl in hooks["spoc_startup"]["implementations"]]
    stopped = [impl["plugin"] for impl in hooks["spoc_shutdown"]["implementations"]]
    assert started == ["apps.one", "apps.two"]
    assert stopped == ["apps.two", "apps.one"]


def test_an_unknown_hook_name_is_an_error_with_a_did_you_mean(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", str(project), "hooks", "spoc_statup"]) == 1

    captured = capsys.readouterr()
    assert captured.err.startswith("error: no hook named 'spoc_statup' (did you mean 'spoc_startup'?)")
    assert "Traceback" not in captured.err


def test_no_project_found_says_how_to_point_at_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["plugins"]) == 1

    assert "no SPOC project found in" in capsys.readouterr().err


def test_plugins_and_hooks_show_a_broken_installed_plugin_as_failed_and_plugins_exits_1(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_files(
        tmp_path / "site",
        {
            "spoc_test_broken.py": "raise RuntimeError('no database driver')\n",
            "spoc_test_typo.py": "import spoc\n\n@spoc.hookimpl\ndef spoc_statrup(framework):\n    pass\n",
            "spoc_broken-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-broken\nVersion: 2.0\n",
            "spoc_broken-2.0.dist-info/entry_points.txt": (
                "[spoc.plugins]\nbroken = spoc_test_broken\ntypo = spoc_test_typo\n"
            ),
        },
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "broken,typo")  # not the installed first-party plugins

    assert main(["--project", str(project), "plugins", "--json"]) == 1

    captured = capsys.readouterr()
    listed = {plugin["name"]: plugin for plugin in json.loads(captured.out)["plugins"]}
    assert (listed["broken"]["status"], listed["broken"]["error"]) == ("failed", "RuntimeError: no database driver")
    assert listed["typo"]["status"] == "failed" and "spoc_statrup" in listed["typo"]["error"]
    assert listed["apps.audit"]["status"] == "active"
    # Each failure once, as an error after the listing: no warning repeats it.
    errors = captured.err.splitlines()
    assert errors[0].startswith("error: plugin 'broken' from spoc-broken 2.0 failed to load: RuntimeError: ")
    assert "'-p no:broken'" in errors[0]
    assert errors[1].startswith("error: plugin 'typo' from spoc-broken 2.0 failed to load: HookValidationError: ")
    assert errors[2:] == ["hint: rerun with --traceback to see the full traceback"]
    assert main(["--project", str(project), "hooks", "spoc_startup"]) == 0
    assert "apps.audit" in capsys.readouterr().out
