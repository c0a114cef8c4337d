"""What the command line says besides its output: errors with the --traceback hint, warnings once, plugin names."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc.cli.program import main
from spoc.errors import SpocWarning
from spoc.framework import Framework

HINT = "hint: rerun with --traceback to see the full traceback"
TOML = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n\n[spoc.schema]\nmodules = ["models"]\n'
CRASHING_CHECK = """
    import spoc

    @spoc.hookimpl
    def spoc_check(framework):
        raise LookupError("no such table: audit_log")
"""
CRASHING_COMMANDS = """
    import spoc

    @spoc.hookimpl
    def spoc_add_commands(subparsers):
        raise TypeError("add_parser() got an unexpected keyword argument 'aliases_'")
"""


def install(site: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """Write a distribution as pip would: a dist-info folder with entry_points.txt, plus its modules."""
    info = f"{dist.replace('-', '_')}-{version}.dist-info"
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    write_files(
        site,
        {
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
            f"{info}/entry_points.txt": f"[spoc.plugins]\n{lines}\n",
            **modules,
        },
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path for fake distributions; only the plugins a test names load."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    return folder


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project({"apps/blog/__init__.py": "", "apps/blog/models.py": "import spoc\n"}, toml=TOML)


def spoc(project: Path, *args: str) -> int:
    return main(["--project", str(project), *args])


# -- errors: one message, the hint, the traceback on demand --------------------------------------------


def test_traceback_after_the_command_shows_the_traceback_of_the_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(project, {"apps/blog/__init__.py": "raise RuntimeError('no database')\n"})

    assert spoc(project, "apps", "--traceback") == 1

    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert "    raise RuntimeError('no database')\nRuntimeError: no database\n" in err
    assert "The above exception was the direct cause of the following exception:" in err
    assert err.splitlines()[-1].startswith("error: importing 'apps.blog' of app 'blog'")
    assert "hint:" not in err


def test_check_with_traceback_follows_each_problem_with_its_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(project, {"apps/blog/models.py": "def load():\n    return {}['posts']\n\nPOSTS = load()\n"})

    assert spoc(project, "check") == 1
    plain = capsys.readouterr()
    assert spoc(project, "--traceback", "check") == 1
    full = capsys.readouterr()

    assert plain.err == "hint: rerun with --traceback to see the traceback of each problem\n"
    assert full.out == plain.out
    assert "    return {}['posts']\n" in full.err
    assert "KeyError: 'posts'\n\nThe above exception was the direct cause of the following exception:" in full.err


# -- warnings: one line each, once --------------------------------------------------------------------


def test_a_warning_prints_once_as_one_line_however_often_the_project_is_built(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A missing app makes the listing build the project twice; each build reads SPOC_LOAD_PLUGINS.
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": ""})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "ledgr")
    toml = TOML.replace('["blog"]', '["blog", "shop"]') + "\n[spoc.timing]\nslow_ms = 250\n"
    write_files(project, {"config/spoc.toml": toml})

    assert spoc(project, "apps") == 1

    err = capsys.readouterr().err.splitlines()
    assert [line.split(" ")[1] for line in err if line.startswith("warning: ")] == [
        "SPOC_LOAD_PLUGINS",
        "[spoc.timing]",
    ]
    assert any(line.startswith(f"warning: [spoc.timing] in {project / 'config' / 'spoc.toml'}:10 ") for line in err)
    assert all(line.startswith(("warning: ", "error: ", "hint: ")) for line in err)  # no SPOC source line


def test_a_broken_plugin_skipped_under_warn_is_one_line_naming_it_and_how_to_disable_it(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": "import nope\n"})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "ledger")
    write_files(
        project,
        {"config/spoc.toml": TOML.replace('mode = "production"\n', 'mode = "production"\nplugin_errors = "warn"\n')},
    )

    assert spoc(project, "apps") == 0

    assert capsys.readouterr().err == (
        "warning: plugin 'ledger' from spoc-ledger 3.1.0 failed to load: ModuleNotFoundError: No module named "
        "'nope'. It is skipped, as plugin_errors = \"warn\" asks. Upgrade or uninstall it, or disable it: "
        "disable_plugins = ['ledger'] under [spoc], or '-p no:ledger' on the command line.\n"
    )


def test_a_plugin_warning_in_a_script_points_at_the_users_line_not_at_spoc(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": "import nope\n"})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "ledger")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Framework(project, settings={"plugin_errors": "warn"})

    [warning] = [w for w in caught if issubclass(w.category, SpocWarning)]
    assert warning.filename == __file__


# -- plugin names that match no plugin ----------------------------------------------------------------


def test_a_name_in_spoc_load_plugins_that_no_plugin_has_is_a_warning_with_a_did_you_mean(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": ""})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "ledgr")

    assert spoc(project, "plugins") == 0

    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warned) == 1
    assert warned[0].startswith(
        "warning: SPOC_LOAD_PLUGINS names 'ledgr', but no installed plugin has that name (did you mean 'ledger'?), "
        "so it loads nothing; installed plugins ('spoc.plugins' entry points): "
    )
    assert "ledger" in warned[0].split("entry points): ")[1]


def test_a_name_in_spoc_load_plugins_warns_in_a_script_too(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": ""})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "ledger,ledgr")

    with pytest.warns(SpocWarning, match=r"'ledgr'.*\(did you mean 'ledger'\?\)"):
        fw = Framework(project)

    assert any(record.name == "ledger" and record.status == "active" for record in fw.plugin_records)


def test_p_no_name_that_blocks_nothing_is_a_warning_with_a_did_you_mean(
    project: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": ""})

    assert spoc(project, "-p", "no:ledgr", "apps") == 0
    listed = capsys.readouterr()
    assert spoc(project, "-p", "no:ledger", "apps") == 0
    blocked = capsys.readouterr()

    assert listed.err.startswith(
        "warning: -p no:ledgr blocks nothing: no installed plugin is named 'ledgr' (did you mean 'ledger'?); "
    )
    assert listed.err.count("\n") == 1
    assert blocked.err == ""


def test_p_name_that_is_no_plugin_nor_module_is_an_error_with_a_did_you_mean(
    project: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": ""})

    assert spoc(project, "-p", "ledgr", "apps") == 1

    err = capsys.readouterr().err
    assert "error: -p ledgr: no installed plugin of that name in the 'spoc.plugins' entry-point group (did you " in err
    assert "mean 'ledger'?)" in err


# -- plugins: a failed one exits 1 -------------------------------------------------------------------


def test_plugins_lists_a_plugin_that_failed_to_load_and_exits_1(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-ledger", "3.1.0", {"ledger": "spoc_test_ledger"}, {"spoc_test_ledger.py": "import nope\n"})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "ledger")

    assert spoc(project, "plugins") == 1
    listed = capsys.readouterr()
    assert spoc(project, "--traceback", "plugins", "--json") == 1
    as_json = capsys.readouterr()

    row = next(line.split(maxsplit=5) for line in listed.out.splitlines() if line.startswith("ledger "))
    assert row == [
        "ledger",
        "3.1.0",
        "spoc-ledger",
        "entrypoint",
        "failed",
        "ModuleNotFoundError: No module named 'nope'",
    ]
    assert listed.err.startswith("error: plugin 'ledger' from spoc-ledger 3.1.0 failed to load: ModuleNotFoundError")
    assert listed.err.endswith(HINT + "\n")
    assert json.loads(as_json.out)["plugins"][0]["status"] == "failed"
    assert f'File "{site / "spoc_test_ledger.py"}", line 1, in <module>' in as_json.err  # the plugin's own line


# -- plugin hooks that raise name the plugin, its distribution and version, and the hook ------------------


def test_an_installed_plugins_failing_spoc_add_commands_is_one_error_naming_it_and_how_to_disable_it(
    project: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-tools", "0.4.2", {"tools": "spoc_test_tools"}, {"spoc_test_tools.py": CRASHING_COMMANDS})

    assert spoc(project, "-p", "tools", "deploy") == 1

    captured = capsys.readouterr()
    where = site / "spoc_test_tools.py"
    assert captured.err == (
        f"error: entrypoint plugin 'tools' (spoc-tools 0.4.2) raised in spoc_add_commands at {where}:3: "
        "TypeError: add_parser() got an unexpected keyword argument 'aliases_'. Fix the plugin or upgrade it, or "
        "disable it: -p no:tools, or disable_plugins = ['tools'] under [spoc].\n" + HINT + "\n"
    )
    assert captured.out == ""


def test_a_plugin_disabled_by_the_project_is_not_asked_for_commands(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-tools", "0.4.2", {"tools": "spoc_test_tools"}, {"spoc_test_tools.py": CRASHING_COMMANDS})
    monkeypatch.delenv("SPOC_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "tools")
    write_files(
        project,
        {
            "config/spoc.toml": TOML.replace(
                'mode = "production"\n', 'mode = "production"\ndisable_plugins = ["tools"]\n'
            )
        },
    )
    monkeypatch.chdir(project)

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    assert exit_info.value.code == 0
    assert "spoc_test_tools" not in sys.modules  # a blocked plugin is never imported


def test_an_installed_plugins_failing_spoc_check_is_one_problem_naming_it_its_distribution_and_the_hook(
    project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(site, "spoc-audit", "2.1.0", {"audit": "spoc_test_audit"}, {"spoc_test_audit.py": CRASHING_CHECK})
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "audit")

    assert spoc(project, "check") == 1

    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"check: entrypoint plugin 'audit' (spoc-audit 2.1.0) raised in spoc_check at {site / 'spoc_test_audit.py'}:3: "
        "LookupError: no such table: audit_log. Fix the plugin or upgrade it, or disable it: -p no:audit, or "
        "disable_plugins = ['audit'] under [spoc].",
        "1 problem(s) found",
    ]
    assert captured.err == "hint: rerun with --traceback to see the traceback of each problem\n"
