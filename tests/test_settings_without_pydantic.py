"""Performance issue #7: a project whose plugins declare no settings section never imports pydantic.

Each test runs a fresh interpreter, as a user's process would be: the guard is
what ``sys.modules`` holds, not a timing.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

from conftest import run_python, write_files

PYDANTIC_MODULES = ("pydantic", "pydantic_settings", "pydantic_core", "spoc.settings.pydantic_sections")

TOML = """
[spoc]
mode = "production"
debug = "yes"
disable_plugins = ["timing"]

[spoc.apps]
production = ["blog"]

[spoc.schema]
modules = ["models"]
"""

SECTION_APP = """
import spoc


@spoc.hookimpl
def spoc_load_settings(framework):
    from pydantic import BaseModel  # as docs/plugins.md advises: only when SPOC asks

    class Timing(BaseModel):
        threshold_ms: int = 100

    return {"timing": Timing}
"""


def _run(root: Path, script: str) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter in ``root``; it ends by printing ``report`` as JSON."""
    prelude = "import json, sys\n"
    report = f"\nreport['loaded'] = [name for name in {PYDANTIC_MODULES!r} if name in sys.modules]\n"
    environ = {**os.environ, "SPOC_DISABLE_PLUGIN_AUTOLOAD": "1", "SPOC_MODES": '{"qa": ["qa", "production"]}'}
    output = run_python(prelude + textwrap.dedent(script) + report + "print(json.dumps(report))", env=environ, cwd=root)
    document: dict[str, Any] = json.loads(output.splitlines()[-1])
    return document


def test_building_and_starting_a_framework_without_sections_imports_no_pydantic(tmp_path: Path) -> None:
    write_files(tmp_path, {"config/spoc.toml": TOML, "apps/blog/models.py": "", "config/settings.py": "SITE = 'x'\n"})

    report = _run(
        tmp_path,
        """
        from spoc.framework import Framework

        with Framework(".") as fw:
            report = {"values": fw.settings.as_dict(), "site": fw.settings.SITE, "started": fw.started}
        """,
    )

    assert report["loaded"] == []
    assert report["started"] is True
    assert report["site"] == "x"
    assert report["values"]["debug"] is True
    assert report["values"]["modes"] == {"qa": ["qa", "production"]}
    assert report["values"]["schema"] == {"modules": ["models"], "dependencies": {}}


def test_the_settings_command_imports_no_pydantic_without_sections(tmp_path: Path) -> None:
    write_files(tmp_path, {"config/spoc.toml": TOML, "apps/blog/models.py": ""})

    report = _run(
        tmp_path,
        """
        import contextlib, io
        from spoc.cli.program import main

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["settings", "--json"])
        report = {"code": code, "rows": json.loads(out.getvalue())["settings"]}
        """,
    )

    assert report["loaded"] == []
    assert report["code"] == 0
    rows = {row["key"]: row for row in report["rows"]}
    assert rows["spoc.debug"]["value"] is True
    assert rows["spoc.debug"]["location"] == "config/spoc.toml:3"
    assert rows["spoc.modes.qa"]["location"] == "SPOC_MODES"


def test_a_section_declared_by_an_app_is_still_validated_by_pydantic(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "config/spoc.toml": TOML + '\n[spoc.timing]\nthreshold_ms = "5"\n',
            "apps/blog/__init__.py": SECTION_APP,
            "apps/blog/models.py": "",
        },
    )

    report = _run(
        tmp_path,
        """
        from spoc.errors import ConfigError
        from spoc.framework import Framework

        timing = Framework(".").settings.section("timing")
        report = {"threshold_ms": timing.threshold_ms, "model": type(timing).__mro__[1].__module__}
        try:
            Framework(".", settings={"timing": {"threshold_ms": "fast"}})
        except ConfigError as exc:
            report["error"] = str(exc)
        """,
    )

    assert report["loaded"] == ["pydantic", "pydantic_core", "spoc.settings.pydantic_sections"]
    assert report["threshold_ms"] == 5
    assert report["model"] == "pydantic.main"
    assert report["error"] == (
        "Framework(settings=...): 'spoc.timing.threshold_ms' = 'fast' is invalid: expected int "
        "(Input should be a valid integer, unable to parse string as an integer)"
    )
