"""Settings from every source: precedence, .env and per-mode files, sections, errors, secrets, listing."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import logging
import os
import pickle
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import spoc
from spoc.cli.program import main
from spoc.errors import ConfigError, SpocError, SpocWarning
from spoc.framework import Framework
from spoc.settings.listing import setting_rows
from spoc.settings.loading import load_settings
from spoc.settings.model import SchemaTable, Settings
from spoc.settings.secrets import MASK
from spoc.settings.sources import ProjectSources

CORE_KEYS = tuple(Settings.model_fields)

DOCS = Path(__file__).resolve().parent.parent / "docs"
TOML = '[spoc]\nmode = "production"\n'


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed first-party plugins would claim sections these tests declare themselves."""
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


# -- precedence: every source against every weaker one ---------------------------------------

SOURCES = ["argument", "environment", "dotenv", "mode_file", "config_toml", "root_toml", "settings_module"]


def _give(source: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make ``source`` set ``disable_plugins = [source]``; return Framework keyword settings."""
    if source == "argument":
        return {"disable_plugins": [source]}
    if source == "environment":
        monkeypatch.setenv("SPOC_DISABLE_PLUGINS", f'["{source}"]')
    elif source == "dotenv":
        write_files(root, {".env": f"SPOC_DISABLE_PLUGINS='[\"{source}\"]'\n"})
    elif source == "mode_file":
        write_files(root, {"config/.env/production.toml": f'[spoc]\ndisable_plugins = ["{source}"]\n'})
    elif source == "config_toml":
        write_files(root, {"config/spoc.toml": f'{TOML}disable_plugins = ["{source}"]\n'})
    elif source == "root_toml":
        write_files(root, {"spoc.toml": f'[spoc]\ndisable_plugins = ["{source}"]\n'})
    else:
        write_files(root, {"config/settings.py": f'DISABLE_PLUGINS = ["{source}"]\n'})
    return {}


@pytest.mark.parametrize(("stronger", "weaker"), list(itertools.combinations(SOURCES, 2)))
def test_a_stronger_source_wins_over_a_weaker_one(
    stronger: str, weaker: str, make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    overrides = {**_give(weaker, root, monkeypatch), **_give(stronger, root, monkeypatch)}

    fw = Framework(root, settings={"mode": "production", **overrides})

    assert fw.settings.disable_plugins == [stronger]


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_wins_over_the_default(
    source: str, make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    overrides = _give(source, root, monkeypatch)

    fw = Framework(root, settings=overrides)

    assert fw.settings.disable_plugins == [source]
    [row] = [row for row in setting_rows(fw.settings, fw.project.sources) if row.key == "spoc.disable_plugins"]
    assert row.source == {"config_toml": "toml", "root_toml": "toml"}.get(source, source)


def test_without_any_source_every_core_key_is_its_default(tmp_path: Path) -> None:
    settings = Framework(tmp_path).settings

    assert (settings.mode, settings.debug, settings.plugin_errors) == ("development", False, "raise")
    assert settings.apps == settings.modes == settings.plugins == {}
    assert settings.disable_plugins == []
    assert settings.schema.modules == []
    assert settings.env == {}
    assert {row.source for row in setting_rows(settings, Framework(tmp_path).project.sources)} == {"default"}


def test_settings_are_frozen_and_compare_by_value(tmp_path: Path) -> None:
    settings = Framework(tmp_path).settings

    with pytest.raises(ValidationError, match="frozen"):
        settings.debug = True  # type: ignore[misc]
    assert settings == Framework(tmp_path).settings
    assert settings != Framework(tmp_path, settings={"debug": True}).settings
    assert copy.deepcopy(settings) == pickle.loads(pickle.dumps(settings)) == settings
    assert repr(settings).startswith("Settings(mode='development', debug=False, ")


def test_the_schema_table_is_frozen_and_compares_by_value() -> None:
    table = Settings(schema={"modules": ["models"]}).schema

    with pytest.raises(ValidationError, match="frozen"):
        table.modules = ["views"]  # type: ignore[misc]
    assert table == SchemaTable(modules=["models"], dependencies={})
    assert table != SchemaTable(modules=["views"])
    assert copy.deepcopy(table) == pickle.loads(pickle.dumps(table)) == table


def test_model_dump_gives_the_values_as_plain_data_to_change_freely(make_project: ProjectFactory) -> None:
    root = make_project(toml=f'{TOML}[spoc.schema]\nmodules = ["models"]\n[spoc.schema.dependencies]\nviews = []\n')
    settings = Framework(root).settings

    values = settings.model_dump()
    values["disable_plugins"].append("timing")
    values["schema"]["modules"].append("views")

    assert list(values) == list(CORE_KEYS)
    assert settings.model_dump()["schema"] == {"modules": ["models"], "dependencies": {"views": []}}
    assert settings.schema == SchemaTable(modules=["models"], dependencies={"views": []})
    assert settings.disable_plugins == []
    assert json.loads(json.dumps(settings.model_dump())) == settings.model_dump()


def test_settings_built_in_code_validate_their_core_values() -> None:
    assert Settings(debug="yes").debug is True
    assert Settings().plugin_errors == "raise"
    with pytest.raises(ValidationError) as caught:
        Settings(debug="maybe", plugin_errors="ignore")

    assert [error["loc"] for error in caught.value.errors()] == [("debug",), ("plugin_errors",)]


def test_the_settings_module_sets_core_keys_by_their_uppercase_name(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": 'DEBUG = True\nMODE = "staging"\n'}, toml="")

    settings = Framework(root).settings

    assert settings.debug is True
    assert settings.mode == "staging"
    assert settings.DEBUG is True


def test_uppercase_keys_of_the_settings_argument_replace_settings_module_names(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": 'DATABASE = "postgresql://db"\n'})

    settings = Framework(root, settings={"DATABASE": "sqlite://"}).settings

    assert settings.DATABASE == "sqlite://"


# -- environment variables ---------------------------------------------------------------------


def test_spoc_debug_1_turns_debug_on(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_DEBUG", "1")

    assert Framework(root).settings.debug is True


TRUE_WORDS = ["1", "on", "t", "true", "y", "yes", "TRUE", "Yes", "oN"]
FALSE_WORDS = ["0", "off", "f", "false", "n", "no", "FALSE", "No", "OFF"]


@pytest.mark.parametrize(
    ("word", "expected"), [(word, True) for word in TRUE_WORDS] + [(w, False) for w in FALSE_WORDS]
)
def test_debug_reads_the_words_for_true_and_false_in_any_case(
    word: str, expected: bool, make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_DEBUG", word)

    assert Framework(root).settings.debug is expected


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False), ("1.0", True), ("true", True)])
def test_debug_reads_0_and_1_as_numbers_from_spoc_toml(
    value: str, expected: bool, make_project: ProjectFactory
) -> None:
    root = make_project(toml=f"{TOML}debug = {value}\n")

    assert Framework(root).settings.debug is expected


@pytest.mark.parametrize("value", ["2", "' true'", "'yess'", "[]", "0.5"])
def test_debug_refuses_other_values(value: str, make_project: ProjectFactory) -> None:
    root = make_project(toml=f"{TOML}debug = {value}\n")

    with pytest.raises(ConfigError, match=r":3: 'spoc.debug' = .* is invalid: expected true or false$"):
        Framework(root)


def test_a_string_key_refuses_a_number_rather_than_converting_it(make_project: ProjectFactory) -> None:
    root = make_project(toml="[spoc]\nmode = 3\n")

    with pytest.raises(
        ConfigError, match=r"'spoc.mode' = 3 is invalid: expected a string, e\.g\. mode = \"production\""
    ):
        Framework(root)


def test_a_wrong_item_of_a_list_names_its_position_file_and_line(make_project: ProjectFactory) -> None:
    root = make_project(toml=f'{TOML}disable_plugins = ["timing", 3]\n[spoc.apps]\nproduction = ["blog", 2]\n')

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    message = str(caught.value)
    path = root / "config" / "spoc.toml"
    assert message.startswith("2 problem(s) in the configuration:")
    assert f"{path}:5: 'spoc.apps.production.1' = 2 is invalid: expected a list of app names" in message
    assert f"{path}:3: 'spoc.disable_plugins.1' = 3 is invalid: expected a plugin name (a string)" in message


def test_a_table_variable_is_read_as_json(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project({".env": 'SPOC_MODES=\'{"qa": ["qa", "production"]}\'\n'}, toml=TOML)
    monkeypatch.setenv("SPOC_PLUGINS", '{"middleware": ["pkg.mod"]}')

    settings = load_settings(ProjectSources.read(root, {"mode": "qa"}))

    assert settings.modes == {"qa": ["qa", "production"]}
    assert settings.plugins == {"middleware": ["pkg.mod"]}
    assert settings.cascade == ["qa", "production"]


def test_a_table_variable_that_is_not_a_table_says_how_to_write_it(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project({".env": "SPOC_PLUGINS=pkg.mod\n"}, toml=TOML)

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert str(caught.value) == (
        f"{root / '.env'}:1: 'spoc.plugins' = 'pkg.mod' is invalid: expected a table of lists of dotted paths, "
        'e.g. middleware = ["pkg.mod"]; a variable gives lists and tables as JSON, '
        "e.g. SPOC_DISABLE_PLUGINS='[\"timing\"]'"
    )


def test_a_wrong_core_value_under_a_secret_name_is_masked(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc.apps]\nproduction = []\nstripe_token = "tok_456"\n')

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert "tok_456" not in str(caught.value)
    assert f"'spoc.apps.stripe_token' = '{MASK}' is invalid" in str(caught.value)


def test_a_nested_variable_sets_a_key_one_table_down(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(apps=["blog"], toml=TOML)
    monkeypatch.setenv("SPOC_APPS__PRODUCTION", '["blog"]')

    fw = Framework(root)

    assert fw.installed_apps == ["blog"]
    assert str(fw.project.sources.origin_of(("apps", "production"))) == "the environment variable SPOC_APPS__PRODUCTION"


def test_an_empty_variable_counts_as_unset(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(toml=TOML + "debug = true\n")
    monkeypatch.setenv("SPOC_DEBUG", "")

    assert Framework(root).settings.debug is True


@pytest.mark.parametrize("variable", ["SPOC_DISABLE_PLUGIN_AUTOLOAD", "SPOC_LOAD_PLUGINS", "SPOC_TRACE_HOOKS"])
def test_control_variables_are_not_settings(
    variable: str, make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv(variable, "0")
    # No plugin is named "0": SPOC_LOAD_PLUGINS says so (tests/test_cli_plugin_names.py).
    typo = pytest.warns(SpocWarning, match="'0'") if variable == "SPOC_LOAD_PLUGINS" else contextlib.nullcontext()

    with typo:
        fw = Framework(root)

    assert variable.lower() not in fw.settings.model_dump()
    assert not any(row.location == variable for row in setting_rows(fw.settings, fw.project.sources))


def test_an_unknown_variable_names_itself_and_suggests_the_right_one(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_DEBG", "1")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    message = str(caught.value)
    assert message.startswith("the environment variable SPOC_DEBG: unknown setting SPOC_DEBG")
    assert "(did you mean 'SPOC_DEBUG'?)" in message
    assert "SPOC_<SECTION>__<KEY>" in message
    assert "Unset it or correct its name" in message


def test_a_variable_of_the_wrong_type_names_the_variable_value_and_expected_type(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_DEBUG", "perhaps")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert str(caught.value) == (
        "the environment variable SPOC_DEBUG: 'spoc.debug' = 'perhaps' is invalid: expected true or false"
    )
    assert caught.value.key == "spoc.debug"


def test_a_list_variable_that_is_not_json_says_how_to_write_it(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_DISABLE_PLUGINS", "timing")

    with pytest.raises(ConfigError, match=r"a variable gives lists and tables as JSON, e\.g\. SPOC_DISABLE_PLUGINS="):
        Framework(root)


def test_a_variable_and_its_nested_variable_clash(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_APPS", '{"production": []}')
    monkeypatch.setenv("SPOC_APPS__PRODUCTION", "[]")

    with pytest.raises(ConfigError, match=r"SPOC_APPS__PRODUCTION and SPOC_APPS both set 'spoc\.apps': unset one"):
        Framework(root)


def test_the_environment_is_only_read(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(
        {".env": "SPOC_DEBUG=1\n", "config/.env/production.toml": '[env]\nDATABASE_URL = "x"\n'}, toml=TOML
    )
    before_env = dict(os.environ)
    before_files = sorted(path for path in root.rglob("*") if "__pycache__" not in path.parts)

    Framework(root)

    assert dict(os.environ) == before_env
    assert sorted(path for path in root.rglob("*") if "__pycache__" not in path.parts) == before_files


def test_the_settings_module_runs_once_per_framework(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "import spoc_test_counter\nspoc_test_counter.runs += 1\n"})
    write_files(root, {"spoc_test_counter.py": "runs = 0\n"})
    sys.path.insert(0, str(root))
    import spoc_test_counter  # type: ignore[import-not-found]

    Framework(root)

    assert spoc_test_counter.runs == 1


# -- the .env file -------------------------------------------------------------------------------


def test_the_dotenv_file_reads_comments_quotes_and_export(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            ".env": """
                # a comment

                export SPOC_MODE=staging   # trailing comment
                SPOC_TIMING__LABEL="two\\nlines # not a comment"
                SPOC_TIMING__NOTE='as # written\\n'
                OTHER_TOOL=ignored
                SPOC_TIMING__EMPTY_WORD=a#b
            """
        },
        toml="",
    )

    sources = ProjectSources.read(root)

    assert load_settings(sources).mode == "staging"
    assert sources.dotenv_variables().table["timing"] == {
        "label": "two\nlines # not a comment",
        "note": "as # written\\n",
        "empty_word": "a#b",
    }
    assert str(sources.origin_of(("timing", "note"))) == f"{root / '.env'}:5"


@pytest.mark.parametrize("line", ["SPOC_DEBUG", "SPOC_DEBUG='1", 'SPOC_DEBUG="1" trailing', "1SPOC=2"])
def test_a_malformed_dotenv_line_names_the_file_and_line(make_project: ProjectFactory, line: str) -> None:
    root = make_project({".env": f"# ok\n{line}\n"}, toml=TOML)

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert caught.value.path == root / ".env"
    assert caught.value.line == 2
    assert "expected KEY=VALUE" in str(caught.value)


# -- per-mode files --------------------------------------------------------------------------------


def test_the_mode_file_overrides_spoc_toml_and_keeps_its_env_table(make_project: ProjectFactory) -> None:
    root = make_project(
        {"config/.env/production.toml": '[spoc]\ndebug = true\n\n[env]\nDATABASE_URL = "postgresql://db"\n'},
        toml=TOML + "debug = false\n",
    )

    settings = Framework(root).settings

    assert settings.debug is True
    assert settings.env == {"DATABASE_URL": "postgresql://db"}
    assert "DATABASE_URL" not in os.environ


def test_the_mode_picked_by_spoc_mode_picks_the_mode_file(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        {
            "config/.env/production.toml": '[env]\nWHO = "production"\n',
            "config/.env/staging.toml": '[env]\nWHO = "staging"\n',
        },
        toml=TOML,
    )
    monkeypatch.setenv("SPOC_MODE", "staging")

    assert Framework(root).settings.env == {"WHO": "staging"}


def test_default_toml_is_read_when_the_mode_has_no_file(make_project: ProjectFactory) -> None:
    root = make_project({".env/default.toml": '[env]\nWHO = "default"\n'}, toml=TOML)

    fw = Framework(root)

    assert fw.settings.env == {"WHO": "default"}
    assert [file.path for file in fw.project.sources.mode_files] == [root / ".env" / "default.toml"]


def test_config_env_folder_wins_over_the_root_env_folder(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            ".env/production.toml": '[env]\nWHO = "root"\nONLY_ROOT = 1\n',
            "config/.env/production.toml": '[env]\nWHO = "config"\n',
        },
        toml=TOML,
    )

    assert Framework(root).settings.env == {"WHO": "config", "ONLY_ROOT": 1}


def test_a_mode_file_cannot_set_the_mode_or_hold_other_tables(make_project: ProjectFactory) -> None:
    root = make_project({"config/.env/production.toml": '[spoc]\nmode = "staging"\n\n[tools]\nx = 1\n'}, toml=TOML)

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    message = str(caught.value)
    path = root / "config" / ".env" / "production.toml"
    assert message.startswith("2 problem(s) in the configuration:")
    assert f"{path}:2: 'spoc.mode' cannot be set in a per-mode file: the mode picks the file" in message
    assert f"{path}:4: unknown table [tools] in a per-mode file; it may hold [spoc] and [env]" in message


# -- plugin sections --------------------------------------------------------------------------------

SECTION_APP = """
import spoc
from pydantic import BaseModel, SecretStr


class Timing(BaseModel):
    threshold_ms: int = 100
    tags: list[str] = []
    api_key: SecretStr = SecretStr("")


@spoc.hookimpl
def spoc_load_settings(framework):
    return {"timing": Timing}
"""


def section_project(make_project: ProjectFactory, toml: str = "", **files: str) -> Path:
    return make_project(
        {"apps/blog/__init__.py": SECTION_APP, **files},
        apps=["blog"],
        toml=f'{TOML}\n[spoc.apps]\nproduction = ["blog"]\n{toml}',
    )


def test_a_section_is_filled_from_every_source_in_order(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = section_project(
        make_project,
        "\n[spoc.timing]\nthreshold_ms = 1\ntags = ['toml']\n",
        **{"config/.env/production.toml": "[spoc.timing]\nthreshold_ms = 2\n"},
    )
    monkeypatch.setenv("SPOC_TIMING__THRESHOLD_MS", "5")

    timing = Framework(root).settings.section("timing")

    assert timing.threshold_ms == 5
    assert timing.tags == ["toml"]


def test_a_section_given_to_the_framework_wins(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = section_project(make_project)
    monkeypatch.setenv("SPOC_TIMING__THRESHOLD_MS", "5")

    timing = Framework(root, settings={"timing": {"threshold_ms": 7}}).settings.section("timing")

    assert timing.threshold_ms == 7


def test_a_section_of_the_wrong_type_names_key_value_type_file_and_line(make_project: ProjectFactory) -> None:
    root = section_project(make_project, "\n[spoc.timing]\nthreshold_ms = 'fast'\n")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    error = caught.value
    assert error.key == "spoc.timing.threshold_ms"
    assert error.path == root / "config" / "spoc.toml"
    assert error.line == 8
    assert str(error).endswith(
        ":8: 'spoc.timing.threshold_ms' = 'fast' is invalid: expected int "
        "(Input should be a valid integer, unable to parse string as an integer)"
    )


def test_an_unknown_key_of_a_forbidding_section_suggests_the_right_one(make_project: ProjectFactory) -> None:
    app = SECTION_APP.replace(
        "threshold_ms: int = 100", "model_config = {'extra': 'forbid'}\n    threshold_ms: int = 1"
    )
    root = section_project(make_project, "\n[spoc.timing]\nthreshold = 5\n", **{"apps/blog/__init__.py": app})

    with pytest.raises(ConfigError, match=r"unknown key 'spoc.timing.threshold' \(did you mean 'threshold_ms'\?\)"):
        Framework(root)


def test_section_with_a_model_returns_it_typed_and_checks_it(make_project: ProjectFactory) -> None:
    root = section_project(make_project)
    settings = Framework(root).settings

    class Other(BaseModel):
        pass

    assert settings.section("timing", BaseModel).threshold_ms == 100
    with pytest.raises(TypeError, match="settings section 'timing' is a Timing, not a Other"):
        settings.section("timing", Other)
    with pytest.raises(KeyError, match=r"no settings section 'timin' \(did you mean 'timing'\?\)"):
        settings.section("timin")


def test_a_base_settings_section_does_not_read_the_environment_itself(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = SECTION_APP.replace(
        "class Timing(BaseModel):", "from pydantic_settings import BaseSettings\n\n\nclass Timing(BaseSettings):"
    )
    root = section_project(make_project, **{"apps/blog/__init__.py": app})
    monkeypatch.setenv("THRESHOLD_MS", "9")

    assert Framework(root).settings.section("timing").threshold_ms == 100


def test_an_unclaimed_section_variable_is_a_warning(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml=TOML)
    monkeypatch.setenv("SPOC_TIMNG__THRESHOLD_MS", "5")

    with pytest.warns(SpocWarning, match=r"\[spoc.timng\] in the environment variable SPOC_TIMNG__THRESHOLD_MS is not"):
        Framework(root)


def test_a_section_that_is_not_a_pydantic_model_is_an_error_naming_the_plugin(make_project: ProjectFactory) -> None:
    app = "import spoc\n\n@spoc.hookimpl\ndef spoc_load_settings(framework):\n    return {'timing': dict}\n"
    root = make_project({"apps/blog/__init__.py": app}, apps=["blog"])

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    message = str(caught.value)
    assert "spoc_load_settings of app plugin 'apps.blog'" in message
    assert "gave section 'timing' <class 'dict'>" in message
    assert "return a dict of section names to pydantic model classes (or classes with model_validate)" in message


@pytest.mark.parametrize("name", ["debug", "Timing", "my-section"])
def test_a_section_name_must_be_a_lowercase_identifier_and_not_a_core_key(
    make_project: ProjectFactory, name: str
) -> None:
    app = SECTION_APP.replace('{"timing": Timing}', f"{{{name!r}: Timing}}")
    root = section_project(make_project, **{"apps/blog/__init__.py": app})

    with pytest.raises(ConfigError, match=f"declares a section named {name!r}: a section name is a lowercase"):
        Framework(root)


def test_two_plugins_claiming_one_section_is_an_error_naming_both(make_project: ProjectFactory) -> None:
    root = section_project(make_project, **{"apps/shop/__init__.py": SECTION_APP})
    write_files(root, {"config/spoc.toml": f'{TOML}\n[spoc.apps]\nproduction = ["blog", "shop"]\n'})

    with pytest.raises(
        ConfigError, match=r"\[spoc.timing\] is claimed by both app plugin 'apps.blog' .* and app plugin 'apps.shop'"
    ):
        Framework(root)


def test_all_problems_of_every_section_are_reported_together(make_project: ProjectFactory) -> None:
    root = section_project(make_project, "\n[spoc.timing]\nthreshold_ms = 'x'\ntags = 'a'\n")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    message = str(caught.value)
    assert message.startswith("2 problem(s) in the configuration:")
    assert "'spoc.timing.threshold_ms' = 'x' is invalid" in message
    assert "'spoc.timing.tags' = 'a' is invalid: expected list[str]" in message


# -- secrets --------------------------------------------------------------------------------------


def test_secrets_are_masked_in_error_messages(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = section_project(make_project, "\n[spoc.timing]\napi_key = 987654321\n")
    monkeypatch.setenv("SPOC_TIMING__THRESHOLD_MS", "x")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    message = str(caught.value)
    assert "987654321" not in message
    assert f"'spoc.timing.api_key' = '{MASK}' is invalid" in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_secrets_are_masked_in_the_listing_and_the_debug_log(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = section_project(make_project, **{"config/settings.py": "MAIL_PASSWORD = 'hunter2'\nSITE = 'blog'\n"})
    monkeypatch.setenv("SPOC_TIMING__API_KEY", "sk_live_123")
    monkeypatch.setenv("SPOC_STRIPE__TOKEN", "tok_456")
    caplog.set_level(logging.DEBUG, logger="spoc.settings")

    with pytest.warns(SpocWarning, match="stripe"):
        fw = Framework(root)

    rows = {row.key: row for row in setting_rows(fw.settings, fw.project.sources)}
    assert rows["spoc.timing.api_key"].value == MASK and rows["spoc.timing.api_key"].secret
    assert rows["MAIL_PASSWORD"].value == MASK
    assert rows["SITE"].value == "blog"
    assert fw.settings.section("timing").api_key.get_secret_value() == "sk_live_123"
    assert "setting spoc.timing.api_key" in caplog.text
    for secret in ("sk_live_123", "hunter2", "tok_456"):
        assert secret not in caplog.text
        assert secret not in repr(fw.settings)


# -- the command line -----------------------------------------------------------------------------


def test_the_settings_command_shows_each_value_with_its_source(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = section_project(make_project, **{".env": "SPOC_TIMING__API_KEY=sk_live_123\n"})
    monkeypatch.setenv("SPOC_TIMING__THRESHOLD_MS", "5")

    assert main(["--project", str(root), "settings", "spoc.timing"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == "mode: production (loads production)"
    assert re.search(r"spoc.timing.threshold_ms\s+5\s+SPOC_TIMING__THRESHOLD_MS", out)
    assert re.search(rf"spoc.timing.api_key\s+\"{re.escape(MASK)}\"\s+\.env:1", out)
    assert re.search(r"spoc.timing.tags\s+\[\]\s+default", out)
    assert "spoc.mode" not in out
    assert "sk_live_123" not in out


def test_the_settings_command_prints_json_with_sources(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = section_project(make_project, **{"config/settings.py": "SECRET_TOKEN = 'abc'\n"})

    assert main(["--project", str(root), "--mode", "production", "settings", "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    assert document["mode"] == "production"
    rows = {row["key"]: row for row in document["settings"]}
    assert rows["spoc.mode"] == {
        "key": "spoc.mode",
        "value": "production",
        "source": "argument",
        "location": "--mode",
        "secret": False,
    }
    assert rows["spoc.apps.production"]["location"] == "config/spoc.toml:5"
    assert rows["SECRET_TOKEN"]["value"] == MASK
    assert rows["spoc.debug"]["source"] == "default"


def test_the_settings_command_says_when_no_key_matches(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(toml=TOML)

    assert main(["--project", str(root), "settings", "spoc.nothing"]) == 0

    assert "no setting starts with 'spoc.nothing'" in capsys.readouterr().out


# -- the docs example runs ------------------------------------------------------------------------

FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```\w*\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE)
OUTPUT_BLOCK = re.compile(
    r"<!-- settings-output: (?P<env>\S+)=(?P<value>\S+) -->\n```\w*\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE
)


def test_the_configuration_page_example_prints_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    files = {match["path"]: match["text"] for match in FILE_BLOCK.finditer(page)}
    [shown] = OUTPUT_BLOCK.finditer(page)
    root = tmp_path / "my_project"
    for relative, text in {**files, "apps/blog/__init__.py": ""}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    monkeypatch.setenv(shown["env"], shown["value"])
    monkeypatch.chdir(root)

    assert main(["settings"]) == 0

    assert "$ python -m spoc settings\n" + capsys.readouterr().out == shown["text"]


def test_the_configuration_page_quotes_the_errors_spoc_raises(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = "blog"\n')
    monkeypatch.setenv("SPOC_DEBG", "1")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    quoted = f"spoc.errors.ConfigError: {caught.value}".replace(str(root), "/srv/my_project")
    assert quoted in (DOCS / "configuration.md").read_text(encoding="utf-8")


def test_the_configuration_page_quotes_the_section_error_spoc_raises(make_project: ProjectFactory) -> None:
    root = section_project(make_project, "\n[spoc.timing]\nthreshold_ms = 'fast'\n")

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    quoted = f"spoc.errors.ConfigError: {caught.value}".replace(str(root), "/srv/my_project")
    assert quoted in (DOCS / "configuration.md").read_text(encoding="utf-8")


# -- random wrong values never crash with anything but a SpocError --------------------------------

SCALARS = (
    st.integers(-(2**63), 2**63 - 1)
    | st.booleans()
    | st.text(max_size=8)
    | st.floats(allow_nan=True)
    | st.dates()
    | st.datetimes()
)
KEYS = st.sampled_from(["mode", "debug", "apps", "modes", "schema", "plugins", "disable_plugins", "plugin_errors"])
NAMES = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return value.isoformat()


VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3), max_leaves=6
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.dictionaries(KEYS | NAMES, VALUES, max_size=4), section=st.dictionaries(NAMES, VALUES, max_size=3))
def test_random_toml_values_only_ever_raise_a_spoc_error(
    table: dict[str, Any], section: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("random")
    lines = ["[spoc]", *(f"{json.dumps(key)} = {toml_value(value)}" for key, value in table.items())]
    lines += ["[spoc.timing]", *(f"{json.dumps(key)} = {toml_value(value)}" for key, value in section.items())]
    write_files(root, {"config/spoc.toml": "\n".join(lines) + "\n", "apps/blog/__init__.py": SECTION_APP})

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SpocWarning)  # an unclaimed section, as a user would see it
            Framework(root, spoc.Schema([]), strict=False)
    except SpocError:
        pass
