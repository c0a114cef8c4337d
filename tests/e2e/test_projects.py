"""Real projects built in tmp_path and run as their users run them: ``python main.py``.

Each project runs in a fresh interpreter, under several hash seeds: SPOC's
order must never depend on hashing, so the output is compared exactly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ProjectFactory, write_files

SEEDS = ["0", "1", "12345", "random"]


def run_main(folder: Path, *, seed: str = "0", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python main.py`` in ``folder`` with a clean SPOC environment and warnings as errors."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    environ.update(PYTHONHASHSEED=seed, PYTHONDONTWRITEBYTECODE="1", PYTHONWARNINGS="error")
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "main.py"], cwd=folder, env=environ, capture_output=True, text=True, timeout=60, check=False
    )


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Return stdout's lines, after checking that the run printed no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.splitlines()


# A main.py that reports a SpocError the way a CLI would: its type, its message, its cause.
REPORTING_MAIN = """
    import sys
    from pathlib import Path

    import spoc

    try:
        framework = spoc.Framework(Path(__file__).parent)
        framework.startup()
    except spoc.SpocError as exc:
        print(type(exc).__name__)
        print(exc)
        cause = exc.__cause__
        print("cause:", type(cause).__name__ if cause else None, getattr(cause, "name", None))
        sys.exit(1)
    framework.shutdown()
"""


# -- the seed's Getting Started example -----------------------------------------------------------------

GETTING_STARTED = """
    from pathlib import Path
    from spoc.framework import Framework, Schema

    # Define your application structure
    schema = Schema(
        modules=["models", "views", "services"],
        dependencies={
            "views": ["models"],
            "services": ["models"]
        },
        hooks={
            "models": {
                "startup": lambda m: print(f"Initializing models: {m}"),
                "shutdown": lambda m: print(f"Shutting down models: {m}")
            }
        }
    )

    # Create and initialize the framework
    framework = Framework(
        base_dir=Path("./my_project"),
        schema=schema
    )

    # Start your application
    framework.startup()

    # When done
    framework.shutdown()
"""


def _app_modules(app: str, kinds: list[str]) -> dict[str, str]:
    """An app whose modules print when they are imported."""
    files = {f"my_project/apps/{app}/__init__.py": ""}
    files.update({f"my_project/apps/{app}/{kind}.py": f'print("import {app}.{kind}")\n' for kind in kinds})
    return files


@pytest.mark.parametrize("seed", SEEDS)
def test_getting_started_example_runs_unchanged(tmp_path: Path, seed: str) -> None:
    files = {
        "main.py": GETTING_STARTED,
        "my_project/config/spoc.toml": """
            [spoc.apps]
            production = ["users", "blog"]
            development = ["debugtools"]
        """,
    }
    for app in ("users", "blog", "debugtools"):
        files.update(_app_modules(app, ["models", "views", "services"]))
    write_files(tmp_path, files)

    result = run_main(tmp_path, seed=seed)

    assert result.returncode == 0, result.stderr
    output = lines(result)
    # Each Schema hook receives the module object itself.
    assert f"from '{tmp_path / 'my_project' / 'apps' / 'users' / 'models.py'}'>" in output[1]
    assert [re.sub(r" from '[^']*'>", ">", line) for line in output] == [
        "import users.models",
        "Initializing models: <module 'apps.users.models'>",
        "import blog.models",
        "Initializing models: <module 'apps.blog.models'>",
        "import debugtools.models",
        "Initializing models: <module 'apps.debugtools.models'>",
        # views and services both need only models: the Schema's order breaks the tie.
        "import users.views",
        "import blog.views",
        "import debugtools.views",
        "import users.services",
        "import blog.services",
        "import debugtools.services",
        "Shutting down models: <module 'apps.debugtools.models'>",
        "Shutting down models: <module 'apps.blog.models'>",
        "Shutting down models: <module 'apps.users.models'>",
    ]


# -- modes ----------------------------------------------------------------------------------------------

ALL_APPS = ["core", "users", "blog", "search", "debugtools"]

MODES_TOML = """
    [spoc]
    mode = "production"

    [spoc.apps]
    production = ["users", "blog"]
    staging = ["search"]
    development = ["debugtools"]

    [spoc.schema]
    modules = ["models"]
"""

MODES_MAIN = """
    from pathlib import Path

    import spoc

    with spoc.Framework(Path(__file__).parent) as framework:
        print("mode:", framework.settings.mode)
        print("apps:", ", ".join(framework.installed_apps))
        print("models:", ", ".join(framework.components.models))
"""


def _modes_project(make_project: ProjectFactory) -> Path:
    files = {"main.py": MODES_MAIN, "config/settings.py": 'INSTALLED_APPS = ["core"]\n'}
    for app in ALL_APPS:
        files[f"apps/{app}/models.py"] = f"""
            import spoc

            @spoc.Components("model").register("model")
            class {app.capitalize()}:
                pass
        """
    return make_project(files, apps=ALL_APPS, toml=MODES_TOML)


@pytest.mark.parametrize(
    ("spoc_mode", "apps", "seed"),
    [
        pytest.param(None, ALL_APPS[:3], "0", id="unset"),
        pytest.param("staging", ALL_APPS[:4], "0", id="staging"),
        *(pytest.param("development", ALL_APPS, seed, id=f"development-{seed}") for seed in SEEDS),
    ],
)
def test_spoc_mode_variable_overrides_the_mode_of_spoc_toml(
    make_project: ProjectFactory, spoc_mode: str | None, apps: list[str], seed: str
) -> None:
    project = _modes_project(make_project)

    result = run_main(project, seed=seed, env={"SPOC_MODE": spoc_mode} if spoc_mode else None)

    assert result.returncode == 0, result.stderr
    assert lines(result) == [
        f"mode: {spoc_mode or 'production'}",
        f"apps: {', '.join(apps)}",
        f"models: {', '.join(f'{app}.{app.capitalize()}' for app in apps)}",
    ]


def test_unknown_spoc_mode_is_an_error_listing_the_valid_modes(make_project: ProjectFactory) -> None:
    project = _modes_project(make_project)
    write_files(project, {"main.py": REPORTING_MAIN})

    result = run_main(project, env={"SPOC_MODE": "develop"})

    assert result.returncode == 1
    kind, message = lines(result)[:2]
    assert kind == "ConfigError"
    assert "unknown mode 'develop'" in message
    assert "SPOC_MODE" in message
    assert "did you mean 'development'?" in message
    assert "valid modes: development, staging, production" in message


# -- errors reported before anything is imported -------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_dependency_cycle_is_one_message_listing_the_cycle(make_project: ProjectFactory, seed: str) -> None:
    toml = """
        [spoc.apps]
        production = ["blog"]

        [spoc.schema]
        modules = ["models", "services", "views"]

        [spoc.schema.dependencies]
        models = ["views"]
        services = ["models"]
        views = ["services"]
    """
    files = {"main.py": REPORTING_MAIN}
    for kind in ("models", "services", "views"):
        files[f"apps/blog/{kind}.py"] = f'print("imported blog.{kind}")\n'
    project = make_project(files, apps=["blog"], toml=toml)

    result = run_main(project, seed=seed)

    assert result.returncode == 1
    assert lines(result) == [
        "CycleError",
        "the module dependencies form a cycle: models -> views -> services -> models "
        f"(declared in [spoc.schema.dependencies] of {project / 'config' / 'spoc.toml'}). "
        "Remove one of these dependencies so that the modules can be imported in order.",
        "cause: None None",
    ]


def test_missing_app_is_reported_with_a_did_you_mean(make_project: ProjectFactory) -> None:
    toml = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["users", "blgo"]\n'
    files = {
        "main.py": REPORTING_MAIN,
        "apps/users/__init__.py": 'print("imported users")\n',
        "apps/blog/__init__.py": 'print("imported blog")\n',
    }
    project = make_project(files, toml=toml)

    result = run_main(project)

    assert result.returncode == 1
    kind, message, _ = lines(result)  # no app package was imported
    assert kind == "AppNotFoundError"
    assert "app 'blgo' not found" in message
    assert str(project / "apps" / "blgo") in message
    assert "did you mean 'blog'?" in message
    assert "Apps that exist: 'blog', 'users'" in message
    assert "remove the app from the configuration" in message


@pytest.mark.parametrize(
    ("where", "statement", "module", "missing"),
    [
        ("services.py", "import spoc_e2e_markdown_renderer", "apps.blog.services", "spoc_e2e_markdown_renderer"),
        ("__init__.py", "import spoc_e2e_markdown_renderer", "apps.blog", "spoc_e2e_markdown_renderer"),
        # An import of a missing module of the app itself is the app's own bug, not a missing app.
        ("services.py", "import apps.blog.markdown", "apps.blog.services", "apps.blog.markdown"),
    ],
)
def test_import_error_inside_an_app_is_reported_as_that_never_as_app_not_found(
    make_project: ProjectFactory, where: str, statement: str, module: str, missing: str
) -> None:
    toml = """
        [spoc.apps]
        production = ["users", "blog"]

        [spoc.schema]
        modules = ["models", "services"]
        dependencies = {services = ["models"]}
    """
    files = {"main.py": REPORTING_MAIN, f"apps/blog/{where}": f"{statement}\n"}
    for app in ("users", "blog"):
        files[f"apps/{app}/models.py"] = f"""
            def initialize():
                print("init {app}.models")

            def teardown():
                print("teardown {app}.models")
        """
        files.setdefault(f"apps/{app}/services.py", "")
    project = make_project(files, apps=["users", "blog"], toml=toml)

    result = run_main(project)

    assert result.returncode == 1
    output = lines(result)
    if where == "services.py":  # raised at startup: what was started is undone first
        assert output[:4] == ["init users.models", "init blog.models", "teardown blog.models", "teardown users.models"]
    else:  # raised while the Framework was built: nothing was started
        assert len(output) == 3
    kind, message, cause = output[-3:]
    assert kind == "AppImportError"
    assert f"importing {module!r} of app 'blog'" in message
    assert str(project / "apps" / "blog" / where) in message
    assert f"ModuleNotFoundError: No module named {missing!r}" in message
    if missing.startswith("apps."):  # a module of the project: a typo to correct, nothing to install
        assert f"The project has no module {missing!r}" in message
    else:
        assert f"install it with pip install {missing}" in message
    assert "not found" not in message.replace("ModuleNotFoundError", "")
    assert cause == f"cause: ModuleNotFoundError {missing}"


# -- a failing startup -----------------------------------------------------------------------------------

FAILING_MAIN = """
    import sys
    from pathlib import Path

    import spoc

    def imported(module):
        print("import", module.__name__)

    def unloaded(module):
        print("unload", module.__name__)

    schema = spoc.Schema(modules=["models"], hooks={"models": {"startup": imported, "shutdown": unloaded}})
    framework = spoc.Framework(Path(__file__).parent, schema)
    try:
        framework.startup()
    except spoc.SpocError as exc:
        print(type(exc).__name__)
        print(exc)
        print("cause:", type(exc.__cause__).__name__, exc.__cause__)
        print("started:", framework.started)
        framework.shutdown()  # nothing left to undo: prints nothing
        sys.exit(1)
"""


def _lifecycle_app(app: str, startup: str) -> dict[str, str]:
    return {
        f"apps/{app}/__init__.py": f"""
            import spoc

            @spoc.hookimpl
            def spoc_startup():
                {startup}

            @spoc.hookimpl
            def spoc_shutdown():
                print("stop {app}")
        """,
        f"apps/{app}/models.py": f"""
            def initialize():
                print("init {app}.models")

            def teardown():
                print("teardown {app}.models")
        """,
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_failing_spoc_startup_undoes_started_apps_and_modules_in_reverse(
    make_project: ProjectFactory, seed: str
) -> None:
    files = {"main.py": FAILING_MAIN}
    files.update(_lifecycle_app("users", 'print("start users")'))
    files.update(_lifecycle_app("blog", 'print("start blog")'))
    files.update(_lifecycle_app("shop", 'raise RuntimeError("payment gateway unreachable")'))
    project = make_project(files, apps=["users", "blog", "shop"])

    result = run_main(project, seed=seed)

    assert result.returncode == 1
    output = lines(result)
    assert output[:16] == [
        "import apps.users.models",
        "init users.models",
        "import apps.blog.models",
        "init blog.models",
        "import apps.shop.models",
        "init shop.models",
        "start users",
        "start blog",
        # shop never started, so it is not stopped; the others stop in reverse.
        "stop blog",
        "stop users",
        "teardown shop.models",
        "unload apps.shop.models",
        "teardown blog.models",
        "unload apps.blog.models",
        "teardown users.models",
        "unload apps.users.models",
    ]
    kind, message, cause, started = output[16:]
    assert kind == "StartupError"
    assert "startup failed at step `spoc_startup of" in message
    assert "'apps.shop'" in message
    assert re.search(rf"{re.escape(str(project / 'apps' / 'shop' / '__init__.py'))}:\d+`", message)
    assert "RuntimeError: payment gateway unreachable" in message
    assert "undone in reverse order" in message
    assert cause == "cause: RuntimeError payment gateway unreachable"
    assert started == "started: False"
