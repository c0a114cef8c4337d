"""``python -m spoc settings`` run as a user would, in a real project with every source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import write_files

PROJECT = {
    "config/spoc.toml": '[spoc]\nmode = "staging"\n\n[spoc.apps]\nproduction = ["blog"]\n',
    "config/settings.py": 'DEBUG = True\nMAIL_PASSWORD = "hunter2"\n',
    "config/.env/production.toml": '[spoc]\nplugin_errors = "warn"\n\n[env]\nDATABASE_URL = "postgresql://db"\n',
    ".env": "SPOC_MODE=production\nSPOC_DEBUG=0\n",
    "apps/blog/__init__.py": "",
}


def spoc(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ.update(SPOC_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "spoc", *args],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_settings_command_shows_every_source_with_secrets_masked(tmp_path: Path) -> None:
    project = write_files(tmp_path / "site", PROJECT)

    result = spoc(project, "settings", "--json", SPOC_APPS__PRODUCTION='["blog"]', SPOC_SHOP__API_TOKEN="tok_1")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    assert document["mode"] == "production"
    rows = {row["key"]: (row["value"], row["source"], row["location"]) for row in document["settings"]}
    assert rows["spoc.mode"] == ("production", "dotenv", ".env:1")
    assert rows["spoc.debug"] == (False, "dotenv", ".env:2")
    assert rows["spoc.apps.production"] == (["blog"], "environment", "SPOC_APPS__PRODUCTION")
    assert rows["spoc.plugin_errors"] == ("warn", "mode_file", "config/.env/production.toml:2")
    assert rows["env.DATABASE_URL"] == ("postgresql://db", "mode_file", "config/.env/production.toml:5")
    assert rows["MAIL_PASSWORD"] == ("**********", "settings_module", "config/settings.py:2")
    assert "hunter2" not in result.stdout
    # No plugin claims [spoc.shop]: one warning line, and the token is not printed.
    assert "[spoc.shop] in the environment variable SPOC_SHOP__API_TOKEN is not claimed" in result.stderr
    assert "tok_1" not in result.stdout + result.stderr


def test_a_wrong_setting_exits_1_with_every_problem_and_no_traceback(tmp_path: Path) -> None:
    project = write_files(tmp_path / "site", PROJECT)

    result = spoc(project, "settings", SPOC_DEBUG="sometimes", SPOC_MODEE="x")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: 2 problem(s) in the configuration:")
    assert "the environment variable SPOC_DEBUG: 'spoc.debug' = 'sometimes' is invalid: expected true or false" in (
        result.stderr
    )
    assert "unknown setting SPOC_MODEE (did you mean 'SPOC_MODE'?)" in result.stderr
    assert "Traceback" not in result.stderr
