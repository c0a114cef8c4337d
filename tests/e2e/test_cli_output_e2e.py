"""``python -m spoc`` as users run it: stdout holds the command's output and nothing else; messages on stderr.

An installed plugin (a real ``*.dist-info`` folder on the subprocess's path)
and an app print while they are imported, constructed and started: what they
print goes to stderr, and each ``--json`` document on stdout parses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import write_files

LOUD_PLUGIN = """
    import spoc

    print("loud plugin: imported")

    @spoc.hookimpl
    def spoc_load_settings(framework):
        print("loud plugin: constructed")

    @spoc.hookimpl
    def spoc_startup(framework):
        print("loud plugin: started")

    @spoc.hookimpl
    def spoc_shutdown(framework):
        print("loud plugin: stopped")
"""
LOUD_APP = """
    import spoc

    print("loud app: imported")

    @spoc.hookimpl
    def spoc_startup(framework):
        print("loud app: started")
"""
PROJECT = {
    "config/spoc.toml": """
        [spoc]
        mode = "production"

        [spoc.apps]
        production = ["shop"]

        [spoc.schema]
        modules = ["models"]
    """,
    "apps/shop/__init__.py": LOUD_APP,
    "apps/shop/models.py": """
        import spoc

        print("loud app: models imported")

        class Product:
            pass

        spoc.component(Product, metadata={"type": "model"})
    """,
}
SITE = {
    "spoc_test_loud.py": LOUD_PLUGIN,
    "spoc_loud-1.5.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-loud\nVersion: 1.5\n",
    "spoc_loud-1.5.dist-info/entry_points.txt": "[spoc.plugins]\nloud = spoc_test_loud\n",
}
JSON_COMMANDS = [
    ["plugins", "--json"],
    ["settings", "--json"],
    ["apps", "--json"],
    ["hooks", "--json"],
    ["components", "--json"],
    ["check", "--json"],
]


def spoc(cwd: Path, site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m spoc ARGS`` in ``cwd`` with ``site`` on the path and only the loud plugin loaded."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith(("SPOC_", "PYTHON"))}
    environ.update({"PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "SPOC_LOAD_PLUGINS": "loud", **env})
    return subprocess.run(
        [sys.executable, "-m", "spoc", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_files(tmp_path / "site", SITE)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "shop_project", PROJECT)


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=[args[0] for args in JSON_COMMANDS])
def test_json_on_stdout_is_the_document_alone_what_the_project_prints_goes_to_stderr(
    args: list[str], project: Path, site: Path
) -> None:
    result = spoc(project, site, *args)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing before or after the document
    assert document["format_version"] == 1
    assert "loud plugin: imported\n" in result.stderr
    assert "loud app: imported\n" in result.stderr
    assert "loud plugin:" not in result.stdout and "loud app:" not in result.stdout


def test_a_start_prints_its_hooks_and_modules_to_stderr(project: Path, site: Path) -> None:
    result = spoc(project, site, "components", "--json")

    assert result.returncode == 0, result.stderr
    assert [item["name"] for item in json.loads(result.stdout)["components"]] == ["shop.Product"]
    for line in ("loud plugin: constructed", "loud app: models imported", "loud plugin: started", "loud app: started"):
        assert f"{line}\n" in result.stderr


def test_run_keeps_the_projects_own_output_on_stdout(project: Path, site: Path) -> None:
    write_files(
        project,
        {
            "apps/shop/__init__.py": """
                import spoc

                print("loud app: imported")

                @spoc.hookimpl
                def spoc_startup(framework):
                    framework.request_stop()
            """
        },
    )

    result = spoc(project, site, "run")

    assert result.returncode == 0, result.stderr
    assert "loud app: imported\n" in result.stdout


def test_a_warning_is_one_line_without_spocs_source_line(project: Path, site: Path) -> None:
    result = spoc(project, site, "-p", "no:lod", "apps", SPOC_LOAD_PLUGINS="loud,louder")

    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "loud" not in line.split(":")[0]]
    assert warnings == [
        "warning: -p no:lod blocks nothing: no installed plugin is named 'lod' (did you mean 'loud'?); installed "
        f"plugins ('spoc.plugins' entry points): {_installed(warnings[0])}. Give an entry point's name, as "
        "'python -m spoc plugins' lists it.",
        "warning: SPOC_LOAD_PLUGINS names 'louder', but no installed plugin has that name (did you mean 'loud'?), "
        f"so it loads nothing; installed plugins ('spoc.plugins' entry points): {_installed(warnings[0])}. Correct "
        "the name in SPOC_LOAD_PLUGINS, or install the plugin.",
    ]


def _installed(line: str) -> str:
    return line.split("entry points): ")[1].split(". ", maxsplit=1)[0]


def test_a_broken_plugin_under_warn_is_one_warning_line_even_with_warnings_as_errors(project: Path, site: Path) -> None:
    write_files(site, {"spoc_test_loud.py": "import not_installed_driver\n"})
    toml = PROJECT["config/spoc.toml"].replace(
        'mode = "production"', 'mode = "production"\n        plugin_errors = "warn"'
    )
    write_files(project, {"config/spoc.toml": toml})

    result = spoc(project, site, "apps", PYTHONWARNINGS="error")

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: plugin 'loud' from spoc-loud 1.5 failed to load: ModuleNotFoundError: No module named "
        "'not_installed_driver'. It is skipped, as plugin_errors = \"warn\" asks. Upgrade or uninstall it, or "
        "disable it: disable_plugins = ['loud'] under [spoc], or '-p no:loud' on the command line.",
        "loud app: imported",
    ]


def test_an_error_ends_with_the_traceback_hint_and_traceback_after_the_command_shows_the_users_line(
    project: Path, site: Path
) -> None:
    write_files(project, {"apps/shop/models.py": "PRICES = {}\nDEFAULT = PRICES['default']\n"})

    plain = spoc(project, site, "components")
    full = spoc(project, site, "components", "--traceback")

    assert plain.returncode == full.returncode == 1
    errors = [line for line in plain.stderr.splitlines() if not line.startswith("loud")]
    assert errors[0].startswith("error: importing 'apps.shop.models' of app 'shop'")
    assert errors[1:] == ["hint: rerun with --traceback to see the full traceback"]
    assert f'File "{project / "apps" / "shop" / "models.py"}", line 2, in <module>' in full.stderr
    assert "hint:" not in full.stderr


def test_plugins_exits_1_when_a_plugin_failed_and_still_lists_it(project: Path, site: Path) -> None:
    write_files(site, {"spoc_test_loud.py": "raise RuntimeError('no license key')\n"})

    result = spoc(project, site, "plugins")

    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("loud "))
    assert row.split()[:5] == ["loud", "1.5", "spoc-loud", "entrypoint", "failed"]
    errors = [line for line in result.stderr.splitlines() if not line.startswith("loud app:")]
    assert errors[0].startswith("error: plugin 'loud' from spoc-loud 1.5 failed to load: RuntimeError: no license")
    assert errors[1:] == ["hint: rerun with --traceback to see the full traceback"]


def test_an_installed_plugin_whose_spoc_add_commands_raises_is_one_error_naming_it_and_the_hook(
    project: Path, site: Path
) -> None:
    write_files(
        site,
        {
            "spoc_test_loud.py": """
                import spoc

                @spoc.hookimpl
                def spoc_add_commands(subparsers):
                    subparsers.add_parser("deploy", help="deploy").set_defaults(run=lambda args, context: 0)
                    raise KeyError("DEPLOY_TARGET")
            """
        },
    )

    plain = spoc(project, site, "deploy")
    full = spoc(project, site, "deploy", "--traceback")

    assert plain.returncode == full.returncode == 1
    where = site / "spoc_test_loud.py"
    assert plain.stderr == (
        f"error: entrypoint plugin 'loud' (spoc-loud 1.5) raised in spoc_add_commands at {where}:3: "
        "KeyError: 'DEPLOY_TARGET'. Fix the plugin or upgrade it, or disable it: -p no:loud, or "
        "disable_plugins = ['loud'] under [spoc].\n"
        "hint: rerun with --traceback to see the full traceback\n"
    )
    assert f'File "{where}", line 6, in spoc_add_commands' in full.stderr
    assert spoc(project, site, "-p", "no:loud", "deploy").returncode == 2  # disabled: no such command
