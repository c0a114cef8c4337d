"""Project configuration: spoc.toml files, the settings module, mode and apps."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory, write_files

import spoc
from spoc.errors import ConfigError
from spoc.framework import Framework
from spoc.settings.files import find_settings_module, find_toml_files
from spoc.settings.loading import load_settings
from spoc.settings.modes import BUILTIN_MODES
from spoc.settings.project import Project
from spoc.settings.sources import ProjectSources


def load_project_config(root: Path, overrides: Mapping[str, Any] | None = None) -> Project:
    """What construction decides from a project's configuration, without needing its apps to exist."""
    sources = ProjectSources.read(root, overrides)
    return Project.from_settings(load_settings(sources), sources)


APPS_TOML = """
[spoc.apps]
production = ["core", "blog"]
staging = ["metrics", "blog"]
development = ["debugbar", "core"]
"""


def test_config_spoc_toml_wins_over_the_root_spoc_toml(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n')
    write_files(root, {"spoc.toml": '[spoc]\nmode = "staging"\ndebug = true\n'})

    config = load_project_config(root)

    assert config.mode == "production"
    assert Framework(root).settings.debug is True
    assert find_toml_files(root) == [root / "config" / "spoc.toml", root / "spoc.toml"]


def test_a_root_spoc_toml_alone_is_read(tmp_path: Path) -> None:
    write_files(tmp_path, {"spoc.toml": '[spoc]\nmode = "staging"\n'})

    config = load_project_config(tmp_path)

    assert config.mode == "staging"
    assert find_toml_files(tmp_path) == [tmp_path / "spoc.toml"]


def test_a_project_without_configuration_runs_in_development_without_apps(tmp_path: Path) -> None:
    config = load_project_config(tmp_path)

    assert config.mode == "development"
    assert config.cascade == ["development", "staging", "production"]
    assert config.app_names == []
    assert find_toml_files(tmp_path) == []
    assert find_settings_module(tmp_path) is None


def test_the_settings_argument_beats_spoc_mode_and_spoc_toml(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n')
    monkeypatch.setenv("SPOC_MODE", "staging")

    assert load_project_config(root, {"mode": "development"}).mode == "development"


def test_spoc_mode_beats_spoc_toml(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n')
    monkeypatch.setenv("SPOC_MODE", "staging")

    assert load_project_config(root).mode == "staging"


def test_an_empty_spoc_mode_is_ignored(make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n')
    monkeypatch.setenv("SPOC_MODE", "")

    assert load_project_config(root).mode == "production"


@pytest.mark.parametrize(
    ("mode", "apps"),
    [
        ("development", ["core", "blog", "metrics", "debugbar"]),
        ("staging", ["core", "blog", "metrics"]),
        ("production", ["core", "blog"]),
    ],
)
def test_modes_cascade_base_first_without_duplicates(make_project: ProjectFactory, mode: str, apps: list[str]) -> None:
    root = make_project(toml=APPS_TOML)

    config = load_project_config(root, {"mode": mode})

    assert config.app_names == apps
    assert config.cascade == list(BUILTIN_MODES[mode])


def test_each_app_records_where_it_was_listed(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "INSTALLED_APPS = ['auth']\n"}, toml=APPS_TOML)

    config = load_project_config(root)

    assert [(app.name, app.listed_in) for app in config.apps] == [
        ("auth", "INSTALLED_APPS"),
        ("core", "apps.production"),
        ("blog", "apps.production"),
        ("metrics", "apps.staging"),
        ("debugbar", "apps.development"),
    ]


def test_the_configuration_is_read_only_and_compares_by_value(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "INSTALLED_APPS = ['auth']\n"}, toml=APPS_TOML)

    config = load_project_config(root)

    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'mode'"):
        config.mode = "production"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'apps'"):
        del config.apps  # type: ignore[misc]
    assert config == load_project_config(root)
    assert config != load_project_config(root, {"mode": "production"})


def test_installed_apps_load_first_in_their_order_without_duplicates(make_project: ProjectFactory) -> None:
    root = make_project(
        {"config/settings.py": "INSTALLED_APPS = ('shop', 'blog', 'auth')\n"},
        apps=["auth", "blog", "shop", "core"],
        toml='[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["core", "auth"]\n',
    )

    framework = spoc.Framework(root)

    assert framework.installed_apps == ["shop", "blog", "auth", "core"]


def test_installed_apps_that_is_not_a_list_names_the_settings_file(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "INSTALLED_APPS = 'blog'\n"})

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    message = str(caught.value)
    assert f"{root / 'config' / 'settings.py'}:1: INSTALLED_APPS = 'blog' is invalid" in message
    assert "expected a list of app names" in message


def test_a_custom_mode_cascades_as_declared(make_project: ProjectFactory) -> None:
    root = make_project(
        toml="""
            [spoc]
            mode = "test"

            [spoc.modes]
            test = ["test", "production"]

            [spoc.apps]
            production = ["blog"]
            staging = ["metrics"]
            test = ["fixtures"]
        """
    )

    config = load_project_config(root)

    assert config.mode == "test"
    assert config.cascade == ["test", "production"]
    assert config.app_names == ["blog", "fixtures"]


def test_an_unknown_mode_from_spoc_mode_names_the_variable_and_the_valid_modes(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(toml='[spoc.modes]\ntest = ["test", "production"]\n')
    monkeypatch.setenv("SPOC_MODE", "prodution")

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    error = caught.value
    assert isinstance(error, spoc.SpocError)
    assert error.key == "spoc.mode"
    message = str(error)
    assert "unknown mode 'prodution' (from the environment variable SPOC_MODE)" in message
    assert "(did you mean 'production'?)" in message
    assert "valid modes: development, staging, production, test" in message
    assert "Declare others under [spoc.modes]" in message


def test_an_unknown_mode_from_the_settings_argument_names_it(make_project: ProjectFactory) -> None:
    root = make_project()

    with pytest.raises(ConfigError, match=r"unknown mode 'qa' \(from Framework\(settings=\{'mode': \.\.\.\}\)\)"):
        spoc.Framework(root, settings={"mode": "qa"})


def test_an_unknown_mode_from_spoc_toml_names_the_file_that_set_it(make_project: ProjectFactory) -> None:
    root = make_project(toml="[spoc]\ndebug = true\n")
    write_files(root, {"spoc.toml": '[spoc]\nmode = "staging-eu"\n'})

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    message = str(caught.value)
    assert f"{root / 'spoc.toml'}:2: unknown mode 'staging-eu' (from spoc.mode)" in message
    assert "(did you mean 'staging'?)" in message


def test_apps_of_a_mode_given_as_a_string_is_an_error_not_one_app_per_letter(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc.apps]\nproduction = "blog"\n')

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    message = str(caught.value)
    assert f"{root / 'config' / 'spoc.toml'}:2: 'spoc.apps.production' = 'blog' is invalid" in message
    assert 'expected a list of app names, e.g. production = ["blog"]' in message


def test_an_unknown_key_suggests_the_right_one_with_file_and_line(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n\ndbug = true\n')

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    message = str(caught.value)
    assert f"{root / 'config' / 'spoc.toml'}:4: unknown key 'spoc.dbug' (did you mean 'debug'?)" in message
    assert "valid keys: mode, debug, apps" in message


def test_every_problem_is_reported_together(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc]\nmode = 3\ndbug = true\ndisable_plugins = "timing"\nplugin_errors = "ignore"\n')

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    message = str(caught.value)
    path = root / "config" / "spoc.toml"
    assert message.startswith("4 problem(s) in the configuration:")
    assert f"{path}:2: 'spoc.mode' = 3 is invalid: expected a string" in message
    assert f"{path}:3: unknown key 'spoc.dbug'" in message
    assert f"{path}:4: 'spoc.disable_plugins' = 'timing' is invalid: expected a list of plugin names" in message
    assert f"{path}:5: 'spoc.plugin_errors' = 'ignore' is invalid: expected \"raise\" or \"warn\"" in message


def test_an_unknown_key_in_the_settings_argument_names_the_argument(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"Framework\(settings=\.\.\.\): unknown key 'spoc.moed' \(did you mean 'mode'"
    ):
        load_project_config(tmp_path, {"moed": "production"})


def test_a_spoc_key_that_is_not_a_table_is_an_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"spoc.toml": 'spoc = "production"\n'})

    with pytest.raises(ConfigError, match=r"'spoc' must be a table \(\[spoc\]\), got 'production'"):
        load_project_config(tmp_path)


def test_a_plugin_section_is_kept_apart_not_an_unknown_key(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc]\nmode = "production"\n\n[spoc.timing]\nthreshold = 0.5\n')

    config = load_project_config(root)

    assert list(config.sources.section_tables(spoc.Settings.model_fields)) == [
        ("timing", config.sources.origin_of(("timing",)))
    ]


def test_invalid_toml_names_the_file_and_chains_the_parser_error(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc]\nmode = "production\n')

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    error = caught.value
    path = root / "config" / "spoc.toml"
    assert error.path == path
    assert str(error).startswith(f"{path}: invalid TOML:")
    assert "Fix the syntax at that line" in str(error)
    assert type(error.__cause__).__name__ == "TOMLDecodeError"


def test_a_settings_module_that_raises_names_its_file_and_chains(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "DEBUG = True\nraise KeyError('DATABASE_URL')\n"})

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    error = caught.value
    path = root / "config" / "settings.py"
    assert error.path == path
    assert str(error).startswith(f"{path}: the settings module raised KeyError: 'DATABASE_URL'")
    assert isinstance(error.__cause__, KeyError)
    assert "spoc_project_settings" not in sys.modules


def test_apps_listed_for_an_unknown_mode_is_an_error(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc.apps]\nproduction = ["blog"]\nprodution = ["shop"]\n')

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    error = caught.value
    assert error.key == "spoc.apps.prodution"
    assert error.path == root / "config" / "spoc.toml"
    message = str(error)
    assert "[spoc.apps] lists apps for unknown mode 'prodution' (did you mean 'production'?)" in message
    assert "valid modes: development, staging, production" in message


SETTINGS_CANDIDATES = [
    "config/settings.py",
    "config/settings/__init__.py",
    "config/config.py",
    "config/configuration.py",
    "conf/settings.py",
    "conf/config.py",
    "conf/configuration/__init__.py",
    "settings.py",
    "settings/__init__.py",
    "config.py",
    "configuration.py",
]


def test_the_settings_module_is_searched_in_config_conf_then_the_root(tmp_path: Path) -> None:
    write_files(tmp_path, {candidate: f"WHERE = {candidate!r}\n" for candidate in SETTINGS_CANDIDATES})

    for candidate in SETTINGS_CANDIDATES:
        found = find_settings_module(tmp_path)
        assert found == tmp_path / candidate
        assert load_project_config(tmp_path).sources.names() == {"WHERE": candidate}
        found.unlink()

    assert find_settings_module(tmp_path) is None


def test_uppercase_settings_are_attributes_of_the_framework_settings(make_project: ProjectFactory) -> None:
    root = make_project(
        {"config/settings.py": "import os\nDATABASE_URL = 'sqlite://'\nPAGE_SIZE = 20\nhelper = 1\n_SECRET = 2\n"}
    )

    settings = spoc.Framework(root).settings

    assert settings.DATABASE_URL == "sqlite://"
    assert settings.PAGE_SIZE == 20
    assert not hasattr(settings, "helper")
    assert not hasattr(settings, "_SECRET")


def test_a_missing_setting_is_an_attribute_error_with_a_suggestion(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "DATABASE_URL = 'sqlite://'\n"})
    settings = spoc.Framework(root).settings

    with pytest.raises(AttributeError) as caught:
        _ = settings.DATABASE_UR

    message = str(caught.value)
    assert "no setting 'DATABASE_UR' (did you mean 'DATABASE_URL'?)" in message
    assert "UPPERCASE names" in message


def test_the_schema_table_of_spoc_toml_orders_the_framework_s_modules(make_project: ProjectFactory) -> None:
    root = make_project(
        apps=["blog", "shop"],
        toml="""
            [spoc]
            mode = "production"

            [spoc.apps]
            production = ["blog", "shop"]

            [spoc.schema]
            modules = ["views", "models"]

            [spoc.schema.dependencies]
            views = ["models"]
        """,
    )

    framework = spoc.Framework(root, strict=False)

    assert framework.import_order == ["blog.models", "shop.models", "blog.views", "shop.views"]


def test_a_schema_passed_in_code_wins_over_spoc_toml(make_project: ProjectFactory) -> None:
    root = make_project(
        apps=["blog"],
        toml='[spoc.apps]\nproduction = ["blog"]\n\n[spoc.schema]\nmodules = ["views", "models"]\n',
    )

    framework = spoc.Framework(root, spoc.Schema(["models"]), strict=False)

    assert framework.import_order == ["blog.models"]


def test_a_schema_table_with_an_unknown_key_is_an_error(make_project: ProjectFactory) -> None:
    root = make_project(toml='[spoc.schema]\nmodules = ["models"]\ndependecies = {}\n')

    with pytest.raises(ConfigError) as caught:
        load_project_config(root)

    message = str(caught.value)
    assert f"{root / 'config' / 'spoc.toml'}:3: unknown key 'spoc.schema.dependecies'" in message
    assert "(did you mean 'dependencies'?); valid keys: modules, dependencies" in message
