"""A project's own typed settings: ``class Settings(spoc.Settings)`` in its settings module, read like the core."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory, run_python, write_files

import spoc
from spoc.cli.program import main
from spoc.errors import ConfigError
from spoc.framework import Framework
from spoc.settings.listing import setting_rows
from spoc.settings.secrets import MASK

SETTINGS_MODULE = """
    from pydantic import SecretStr

    import spoc


    class Settings(spoc.Settings):
        database_url: str = "sqlite:///blog.sqlite3"
        workers: int = 1
        api_key: SecretStr = SecretStr("")


    SITE_NAME = "My blog"
"""
TOML = '[spoc]\nmode = "production"\n'


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project({"config/settings.py": SETTINGS_MODULE}, toml=TOML)


def test_fw_settings_is_an_instance_of_the_projects_class_with_its_defaults(project: Path) -> None:
    settings = Framework(project).settings

    assert type(settings).__name__ == "Settings" and type(settings) is not spoc.Settings
    assert isinstance(settings, spoc.Settings)
    assert settings.database_url == "sqlite:///blog.sqlite3"  # type: ignore[attr-defined]
    assert settings.workers == 1  # type: ignore[attr-defined]
    assert settings.mode == "production"
    assert settings.SITE_NAME == "My blog"


def test_without_a_settings_class_fw_settings_is_a_spoc_settings(make_project: ProjectFactory) -> None:
    settings = Framework(make_project(toml=TOML)).settings

    assert type(settings) is spoc.Settings


SOURCES: dict[str, Any] = {
    "argument": None,
    "environment": None,
    "dotenv": {".env": "SPOC_WORKERS=3\n"},
    "mode_file": {"config/.env/production.toml": "[spoc]\nworkers = 4\n"},
    "toml": {"config/spoc.toml": TOML + "workers = 5\n"},
    "settings_module": {"config/settings.py": textwrap.dedent(SETTINGS_MODULE) + "\nWORKERS = 6\n"},
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_a_project_field_comes_from_every_source_in_the_same_order_as_the_core_keys(
    source: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = list(SOURCES)
    # Every source weaker than this one sets the field too: the strongest present must win.
    for weaker in order[order.index(source) :]:
        files = SOURCES[weaker]
        if files is not None:
            write_files(project, files if weaker != "toml" else {"config/spoc.toml": TOML + "workers = 5\n"})
    expected = {"argument": 1, "environment": 2, "dotenv": 3, "mode_file": 4, "toml": 5, "settings_module": 6}
    arguments: dict[str, Any] = {}
    if source == "argument":
        arguments = {"workers": 1}
    if source in ("argument", "environment"):
        monkeypatch.setenv("SPOC_WORKERS", "2")

    fw = Framework(project, settings=arguments)

    assert fw.settings.workers == expected[source]  # type: ignore[attr-defined]
    rows = {row.key: row for row in setting_rows(fw.settings, fw.project.sources)}
    assert rows["spoc.workers"].source == source


def test_a_wrong_project_field_names_the_key_the_value_and_the_file_and_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(project, {"config/spoc.toml": TOML + 'workers = "many"\n'})

    with pytest.raises(ConfigError) as caught:
        Framework(project)

    message = str(caught.value)
    assert message.startswith(f"{project / 'config' / 'spoc.toml'}:3: 'spoc.workers' = 'many' is invalid: expected int")
    assert caught.value.key == "spoc.workers"


def test_a_wrong_project_field_from_a_variable_names_the_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOC_WORKERS", "many")

    with pytest.raises(ConfigError, match=r"the environment variable SPOC_WORKERS: 'spoc.workers' = 'many' is invalid"):
        Framework(project)


def test_an_unknown_key_suggests_a_project_field(project: Path) -> None:
    write_files(project, {"config/spoc.toml": TOML + 'databse_url = "x"\n'})

    with pytest.raises(ConfigError, match=r"unknown key 'spoc.databse_url' \(did you mean 'database_url'\?\)"):
        Framework(project)


def test_a_secret_project_field_is_masked_in_the_listing_and_never_printed(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPOC_API_KEY", "sk_live_123")

    assert main(["--project", str(project), "settings", "--json"]) == 0

    output = capsys.readouterr().out
    rows = {row["key"]: row for row in json.loads(output)["settings"]}
    assert rows["spoc.api_key"] == {
        "key": "spoc.api_key",
        "value": MASK,
        "source": "environment",
        "location": "SPOC_API_KEY",
        "secret": True,
    }
    assert "sk_live_123" not in output
    assert Framework(project).settings.api_key.get_secret_value() == "sk_live_123"  # type: ignore[attr-defined]


def test_a_settings_class_that_is_not_a_spoc_settings_is_an_error_naming_the_file(make_project: ProjectFactory) -> None:
    root = make_project({"config/settings.py": "class Settings:\n    debug = True\n"}, toml=TOML)

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert str(caught.value).startswith(f"{root / 'config' / 'settings.py'}:1: Settings is a class")
    assert "class Settings(spoc.Settings)" in str(caught.value)


def test_a_settings_class_may_add_a_source_of_its_own(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "config/settings.py": """
                from pydantic_settings import PydanticBaseSettingsSource

                import spoc


                class Vault(PydanticBaseSettingsSource):
                    def get_field_value(self, field, field_name):
                        return None, field_name, False

                    def __call__(self):
                        return {"database_url": "postgresql://vault"}


                class Settings(spoc.Settings):
                    database_url: str = "sqlite://"

                    @classmethod
                    def settings_customise_sources(cls, settings_cls, **sources):
                        return (*super().settings_customise_sources(settings_cls, **sources), Vault(settings_cls))
            """
        },
        toml=TOML,
    )

    assert Framework(root).settings.database_url == "postgresql://vault"  # type: ignore[attr-defined]
    assert Framework(root, settings={"database_url": "sqlite://test"}).settings.database_url == "sqlite://test"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["config/spoc.toml", ".env"])
def test_a_configuration_file_that_is_not_utf8_names_the_file_and_the_byte_offset(
    name: str, make_project: ProjectFactory
) -> None:
    root = make_project(toml=TOML)
    (root / name).write_bytes(b"# caf\xe9\n" + (TOML.encode() if name.endswith(".toml") else b"SPOC_DEBUG=1\n"))

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert str(caught.value) == (
        f"{root / name}: is not UTF-8 text: byte 0xe9 at offset 5 cannot be decoded (invalid continuation byte). "
        "Save the file as UTF-8."
    )


def test_a_utf8_bom_is_accepted(make_project: ProjectFactory) -> None:
    root = make_project(toml=TOML)
    (root / "config" / "spoc.toml").write_bytes(b"\xef\xbb\xbf" + TOML.encode())
    (root / ".env").write_bytes(b"\xef\xbb\xbfSPOC_DEBUG=1\n")

    settings = Framework(root).settings

    assert settings.mode == "production"
    assert settings.debug is True


def test_importing_spoc_imports_no_pydantic() -> None:
    loaded = run_python("import sys, spoc; print(sorted(n for n in sys.modules if n.startswith('pydantic')))")

    assert loaded.strip() == "[]"


def test_setting_origin_says_where_a_value_in_force_was_set(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(project, {"config/spoc.toml": TOML + "workers = 5\n"})
    monkeypatch.setenv("SPOC_API_KEY", "sk")

    fw = Framework(project)

    assert fw.setting_origin("workers") == "config/spoc.toml:3"
    assert fw.setting_origin("spoc.api_key") == "SPOC_API_KEY"
    assert fw.setting_origin("database_url") is None  # the default


def test_a_section_rejected_as_a_whole_is_shown_by_its_keys_not_its_values(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "apps/vault/__init__.py": """
                import pydantic
                import spoc

                class VaultSettings(pydantic.BaseModel):
                    url: str = ""
                    token: str = ""

                    @pydantic.model_validator(mode="before")
                    @classmethod
                    def both_or_none(cls, values):
                        if bool(values.get("url")) != bool(values.get("token")):
                            raise ValueError("set url and token together")
                        return values

                @spoc.hookimpl
                def spoc_load_settings():
                    return {"vault": VaultSettings}
            """
        },
        toml=TOML + '\n[spoc.apps]\nproduction = ["vault"]\n\n[spoc.vault]\nurl = "https://user:hunter2@vault"\n',
    )

    with pytest.raises(ConfigError) as caught:
        Framework(root)

    assert "'spoc.vault' = a table with keys url is invalid" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_projects_settings_class_imported_after_construction_is_the_class_of_fw_settings(project: Path) -> None:
    fw = Framework(project)
    sys.path.insert(0, str(project))  # as in the project's own code, run from its folder
    try:
        from config.settings import Settings  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(project))

    assert isinstance(fw.settings, Settings)
    assert type(fw.settings) is Settings


def test_an_uppercase_name_of_a_field_reads_the_value_in_force(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(project, {"config/settings.py": textwrap.dedent(SETTINGS_MODULE) + "\nWORKERS = 6\nDEBUG = False\n"})
    monkeypatch.setenv("SPOC_WORKERS", "2")
    monkeypatch.setenv("SPOC_DEBUG", "1")

    settings = Framework(project).settings

    assert (settings.WORKERS, settings.workers) == (2, 2)  # type: ignore[attr-defined]
    assert settings.DEBUG is True
    assert settings.SITE_NAME == "My blog"


def test_a_misspelt_setting_suggests_the_field_whatever_its_case(project: Path) -> None:
    settings = Framework(project).settings

    with pytest.raises(AttributeError, match=r"no setting 'DATABSE_URL' \(did you mean 'database_url'\?\)"):
        settings.DATABSE_URL


def test_a_dotenv_line_that_cannot_be_read_is_reported_once(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_project({".env": "SPOC_DEBUG='1\n"}, toml=TOML)

    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        Framework(root)

    assert "could not parse" not in caplog.text  # python-dotenv's own complaint is not added


def test_a_section_field_left_unset_is_listed_as_a_default_not_as_its_tables_line(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "apps/vault/__init__.py": """
                import pydantic
                import spoc

                class VaultSettings(pydantic.BaseModel):
                    url: str = ""
                    retries: int = 3

                @spoc.hookimpl
                def spoc_load_settings():
                    return {"vault": VaultSettings}
            """
        },
        toml=TOML + '\n[spoc.apps]\nproduction = ["vault"]\n\n[spoc.vault]\nurl = "https://vault"\n',
    )
    fw = Framework(root)

    rows = {row.key: row for row in setting_rows(fw.settings, fw.project.sources)}

    assert (rows["spoc.vault.url"].source, rows["spoc.vault.url"].location) == ("toml", "config/spoc.toml:8")
    assert (rows["spoc.vault.retries"].source, rows["spoc.vault.retries"].location) == ("default", "")
