"""Entry-point plugins: found through real ``*.dist-info`` folders on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

from spoc.errors import ConfigError, PluginHookError, PluginLoadError, SpocWarning
from spoc.framework import Framework
from spoc.plugins.discovery import PluginSelection, find_entry_points


def install_fake_distribution(
    site: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]
) -> None:
    """Write a distribution as pip would: a dist-info folder with entry_points.txt, plus its modules."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    write_files(
        site,
        {
            f"{info.name}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
            f"{info.name}/entry_points.txt": f"[spoc.plugins]\n{lines}\n",
            **modules,
        },
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


RECORDING_PLUGIN = """
    import spoc
    CALLS = []

    @spoc.hookimpl
    def spoc_startup(framework):
        CALLS.append("startup")

    @spoc.hookimpl
    def spoc_shutdown(framework):
        CALLS.append("shutdown")
"""


def test_installed_entry_point_plugin_is_registered_and_runs(site: Path, make_project: ProjectFactory) -> None:
    install_fake_distribution(
        site, "spoc-test-audit", "1.2.0", {"audit": "spoc_test_audit"}, {"spoc_test_audit.py": RECORDING_PLUGIN}
    )
    project = make_project(apps=[])

    with Framework(project) as fw:
        record = next(r for r in fw.plugin_records if r.name == "audit")
        assert (record.source, record.distribution, record.version, record.status) == (
            "entrypoint",
            "spoc-test-audit",
            "1.2.0",
            "active",
        )
        assert record.hooks == ["spoc_shutdown", "spoc_startup"]
    assert sys.modules["spoc_test_audit"].CALLS == ["startup", "shutdown"]


def test_entry_point_naming_a_class_is_instantiated(site: Path, make_project: ProjectFactory) -> None:
    install_fake_distribution(
        site,
        "spoc-test-cls",
        "0.1",
        {"classy": "spoc_test_cls:Plugin"},
        {
            "spoc_test_cls.py": """
            import spoc

            class Plugin:
                def __init__(self):
                    self.started = False

                @spoc.hookimpl
                def spoc_startup(self):
                    self.started = True
        """,
        },
    )
    with Framework(make_project(apps=[])) as fw:
        plugin = fw.plugin_manager.get_plugin("classy")
        assert plugin.started is True


@pytest.mark.parametrize("how", ["argument", "toml"])
def test_blocked_plugin_is_never_imported(site: Path, make_project: ProjectFactory, how: str) -> None:
    install_fake_distribution(
        site,
        "spoc-test-broken",
        "2.0",
        {"broken": "spoc_test_broken"},
        {"spoc_test_broken.py": "raise RuntimeError('must not be imported')\n"},
    )
    toml = '[spoc]\nmode = "production"\n'
    if how == "toml":
        toml += 'disable_plugins = ["broken"]\n'
    fw = Framework(make_project(toml=toml), disable_plugins=["broken"] if how == "argument" else [])

    assert "spoc_test_broken" not in sys.modules
    record = next(r for r in fw.plugin_records if r.name == "broken")
    assert record.status == "blocked"


def test_broken_plugin_stops_the_application_naming_plugin_dist_and_how_to_disable(
    site: Path, make_project: ProjectFactory
) -> None:
    install_fake_distribution(
        site,
        "spoc-test-broken",
        "2.0",
        {"broken": "spoc_test_broken"},
        {"spoc_test_broken.py": "import spoc_test_not_installed_anywhere\n"},
    )
    with pytest.raises(PluginLoadError) as caught:
        Framework(make_project(apps=[]))

    message = str(caught.value)
    assert "plugin 'broken' from spoc-test-broken 2.0 failed to load" in message
    assert "ModuleNotFoundError" in message
    assert "disable_plugins = ['broken']" in message and "-p no:broken" in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_broken_plugin_is_skipped_with_one_warning_when_plugin_errors_is_warn(
    site: Path, make_project: ProjectFactory
) -> None:
    install_fake_distribution(
        site,
        "spoc-test-broken",
        "2.0",
        {"broken": "spoc_test_broken"},
        {"spoc_test_broken.py": "raise RuntimeError('boom')\n"},
    )
    project = make_project(toml='[spoc]\nmode = "production"\nplugin_errors = "warn"\n')

    with pytest.warns(SpocWarning, match="plugin 'broken' from spoc-test-broken 2.0 failed to load") as warned:
        fw = Framework(project)

    assert len(warned) == 1
    record = next(r for r in fw.plugin_records if r.name == "broken")
    assert (record.status, record.error) == ("failed", "RuntimeError: boom")


def test_disable_autoload_variable_loads_no_entry_point(
    site: Path, make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_distribution(
        site, "spoc-test-audit", "1.0", {"audit": "spoc_test_audit"}, {"spoc_test_audit.py": RECORDING_PLUGIN}
    )
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")

    fw = Framework(make_project(apps=[]))

    assert "spoc_test_audit" not in sys.modules
    assert [r.status for r in fw.plugin_records if r.name == "audit"] == ["blocked"]


def test_load_plugins_variable_loads_only_the_named_entry_points(
    site: Path, make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_distribution(
        site,
        "spoc-test-two",
        "1.0",
        {"one": "spoc_test_one", "two": "spoc_test_two"},
        {"spoc_test_one.py": RECORDING_PLUGIN, "spoc_test_two.py": RECORDING_PLUGIN},
    )
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "two")

    fw = Framework(make_project(apps=[]))

    statuses = {r.name: r.status for r in fw.plugin_records if r.name in ("one", "two")}
    assert statuses == {"one": "blocked", "two": "active"}
    assert all(r.status == "blocked" for r in fw.plugin_records if r.source == "entrypoint" and r.name != "two")
    assert "spoc_test_one" not in sys.modules


def test_selection_rules() -> None:
    assert PluginSelection.from_environment(environ={}).wants("x")
    assert not PluginSelection.from_environment(["x"], environ={}).wants("x")
    off = PluginSelection.from_environment(requested=["x"], environ={"SPOC_DISABLE_PLUGIN_AUTOLOAD": "true"})
    assert off.wants("x") and not off.wants("y")
    assert not PluginSelection.from_environment(environ={"SPOC_LOAD_PLUGINS": ""}).wants("x")
    assert PluginSelection.from_environment(environ={"SPOC_DISABLE_PLUGIN_AUTOLOAD": "0"}).wants("x")


def test_first_distribution_on_sys_path_wins_for_a_duplicate_name(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = tmp_path / "later-site"
    later.mkdir()
    install_fake_distribution(site, "spoc-test-new", "2.0", {"dup": "spoc_test_new"}, {})
    install_fake_distribution(later, "spoc-test-old", "1.0", {"dup": "spoc_test_old"}, {})
    monkeypatch.setattr(sys, "path", [*sys.path, str(later)])

    [entry_point] = [ep for ep in find_entry_points() if ep.name == "dup"]
    assert entry_point.value == "spoc_test_new"


def test_configured_plugin_groups_merge_toml_first_without_duplicates(make_project: ProjectFactory) -> None:
    project = make_project(
        {
            "config/settings.py": """
                PLUGINS = {"middleware": ["spoc_test_mw", "spoc_test_mw.Timer"], "extra": ["json"]}
            """,
            "spoc_test_mw.py": """
                import spoc

                class Timer:
                    pass

                @spoc.hookimpl
                def spoc_startup(framework):
                    framework.settings.debug
            """,
        },
        toml='[spoc]\nmode = "production"\n[spoc.plugins]\nmiddleware = ["spoc_test_mw"]\n',
    )

    fw = Framework(project)

    assert list(fw.plugins) == ["middleware", "extra"]
    assert list(fw.plugins["middleware"]) == ["spoc_test_mw", "spoc_test_mw.Timer"]
    assert fw.plugins["middleware"]["spoc_test_mw.Timer"] is sys.modules["spoc_test_mw"].Timer
    assert fw.plugins["extra"]["json"] is sys.modules["json"]
    sources = {r.name: r.source for r in fw.plugin_records}
    assert sources["spoc_test_mw"] == "configured"
    assert "spoc_test_mw.Timer" not in sources  # holds no hookimpls: loaded, not registered
    assert fw.settings.PLUGINS["middleware"] == ["spoc_test_mw", "spoc_test_mw.Timer"]  # not mutated


def test_bad_configured_plugin_uri_names_group_and_uri(make_project: ProjectFactory) -> None:
    project = make_project(toml='[spoc]\n[spoc.plugins]\nmiddleware = ["spoc_test_nowhere.Thing"]\n')

    with pytest.raises(ConfigError) as caught:
        Framework(project)

    message = str(caught.value)
    assert "plugin 'spoc_test_nowhere.Thing' of group 'middleware' cannot be imported" in message
    assert "package.module.attr" in message


def test_missing_attribute_of_configured_plugin_is_reported(make_project: ProjectFactory) -> None:
    project = make_project(
        {"spoc_test_mod.py": "X = 1\n"}, toml='[spoc]\n[spoc.plugins]\nhooks = ["spoc_test_mod.Missing"]\n'
    )

    with pytest.raises(ConfigError, match="module 'spoc_test_mod' has no attribute 'Missing'"):
        Framework(project)


def test_an_installed_plugin_implementing_an_unknown_hook_is_skipped_under_warn(
    site: Path, make_project: ProjectFactory
) -> None:
    install_fake_distribution(
        site,
        "spoc-test-typo",
        "0.3",
        {"typo": "spoc_test_typo"},
        {"spoc_test_typo.py": "import spoc\n\n@spoc.hookimpl\ndef spoc_statrup(framework):\n    pass\n"},
    )
    project = make_project(toml='[spoc]\nmode = "production"\nplugin_errors = "warn"\n')

    with pytest.warns(SpocWarning, match=r"plugin 'typo' from spoc-test-typo 0.3 failed to load: .*spoc_statrup"):
        fw = Framework(project)

    record = next(r for r in fw.plugin_records if r.name == "typo")
    assert record.status == "failed"
    assert "did you mean 'spoc_startup'?" in (record.error or "")
    assert not fw.plugin_manager.has_plugin("typo")


def test_an_app_hookspecs_module_declares_hooks_other_apps_implement(make_project: ProjectFactory) -> None:
    project = make_project(
        {
            "apps/blog/hookspecs.py": """
                import spoc

                @spoc.hookspec
                def blog_post_published(title):
                    '''Called when a post is published.'''
            """,
            "apps/blog/__init__.py": "",
            "apps/mailer/__init__.py": """
                import spoc
                SENT = []

                @spoc.hookimpl
                def blog_post_published(title):
                    SENT.append(title)
            """,
        },
        toml='[spoc]\nmode = "production"\n[spoc.apps]\nproduction = ["mailer", "blog"]\n',
    )

    fw = Framework(project)
    fw.hook.blog_post_published(title="Hello")

    assert sys.modules["apps.mailer"].SENT == ["Hello"]


def test_an_installed_plugin_whose_spoc_load_settings_raises_is_named_with_its_distribution(
    site: Path, make_project: ProjectFactory
) -> None:
    install_fake_distribution(
        site,
        "spoc-test-audit",
        "1.2.0",
        {"audit": "spoc_test_audit"},
        {
            "spoc_test_audit.py": """
                import spoc

                @spoc.hookimpl
                def spoc_load_settings():
                    raise RuntimeError('AUDIT_URL is not set')
            """
        },
    )
    root = make_project(apps=[])

    with pytest.raises(PluginHookError) as caught:
        Framework(root)

    assert (caught.value.plugin, caught.value.distribution, caught.value.version) == (
        "audit",
        "spoc-test-audit",
        "1.2.0",
    )
    where = site / "spoc_test_audit.py"
    assert str(caught.value).startswith(
        f"entrypoint plugin 'audit' (spoc-test-audit 1.2.0) raised in spoc_load_settings at {where}:3"
    )
    assert "disable it: -p no:audit, or disable_plugins = ['audit'] under [spoc]" in str(caught.value)


def test_a_dist_info_folder_without_metadata_does_not_stop_discovery(site: Path) -> None:
    install_fake_distribution(
        site, "spoc-test-audit", "1.2.0", {"audit": "spoc_test_audit"}, {"spoc_test_audit.py": ""}
    )
    install_fake_distribution(site, "spoc-test-half", "0.1", {"half": "spoc_test_half"}, {"spoc_test_half.py": ""})
    (site / "spoc_test_half-0.1.dist-info" / "METADATA").unlink()  # a half-removed distribution

    found = {entry.name: entry for entry in find_entry_points() if entry.name in ("audit", "half")}

    assert found["audit"].distribution == "spoc-test-audit"
    assert "half" not in found or (found["half"].distribution, found["half"].version) == (None, None)
