"""The documentation cannot rot: hooks and errors are documented, examples run."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_files

from spoc import errors, hookspecs
from spoc.errors import (
    AppImportError,
    AppNotFoundError,
    AsyncHookError,
    ConfigError,
    CycleError,
    DuplicateComponentError,
    HookValidationError,
    ModuleMissingError,
    PluginLoadError,
    ShutdownError,
    SpocError,
    SpocWarning,
    StartupError,
)
from spoc.framework import Framework, Schema

DOCS = Path(__file__).resolve().parent.parent / "docs"
# The error messages in the docs were produced by a project in this folder.
DOCS_PROJECT = "/srv/my_project"

FENCE = re.compile(r"^(```+)\s*([\w+-]*)")
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```\w*\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE)
OUTPUT_BLOCK = re.compile(r"<!-- output -->\n```\w*\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE)

HOOK_NAMES = sorted(name for name, obj in vars(hookspecs).items() if name.startswith("spoc_") and callable(obj))
ERROR_CLASSES = sorted(name for name in errors.__all__ if isinstance(getattr(errors, name), type))


def read_page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def headings(text: str) -> list[str]:
    """Return the Markdown headings outside fenced code, without ``#`` marks and backticks."""
    found: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif line.strip() == fence:
                fence = None
            continue
        if fence is None and line.startswith("#"):
            found.append(line.lstrip("#").strip().replace("`", ""))
    return found


def code_blocks(text: str, language: str) -> list[str]:
    """Return the contents of the fenced blocks of one language."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if current is None and match and match.group(2) == language:
            current = []
        elif current is not None and line.strip().startswith("```"):
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def file_blocks(text: str) -> dict[str, str]:
    """Return the blocks marked ``<!-- file: PATH -->``, by path: what a reader copies into that file."""
    return {match["path"]: match["text"] for match in FILE_BLOCK.finditer(text)}


def section(text: str, heading: str) -> str:
    """Return the ``## heading`` section of a page, up to the next second-level heading outside code."""
    lines = text.splitlines(keepends=True)
    found: list[str] | None = None
    fence: str | None = None
    for line in lines:
        match = FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif line.strip() == fence:
                fence = None
        elif fence is None and line.startswith("## "):
            if found is not None:
                break
            if line[3:].strip() == heading:
                found = []
        if found is not None:
            found.append(line)
    assert found is not None, f"no section '## {heading}'"
    return "".join(found)


def spec_signature(name: str) -> str:
    parameters = inspect.signature(getattr(hookspecs, name)).parameters
    return f"{name}({', '.join(parameters)})"


def test_hookspecs_are_found() -> None:
    assert "spoc_startup" in HOOK_NAMES
    assert "spoc_invoke" in HOOK_NAMES


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_has_a_section_headed_by_its_exact_signature(name: str) -> None:
    sections = [heading for heading in headings(read_page("hooks.md")) if f"{name}(" in heading]
    assert sections, f"docs/hooks.md has no section for the hook {name}; add '## `{spec_signature(name)}`'"
    assert len(sections) == 1, f"docs/hooks.md has {len(sections)} sections for {name}: {sections}"
    assert spec_signature(name) in sections[0], (
        f"the heading {sections[0]!r} in docs/hooks.md does not match the spec {spec_signature(name)}"
    )


def test_every_hook_section_names_an_existing_hook() -> None:
    documented = {
        match.group(1) for heading in headings(read_page("hooks.md")) if (match := re.match(r"(\w+)\(", heading))
    }
    assert documented - set(HOOK_NAMES) == set(), "docs/hooks.md documents hooks that spoc/hookspecs.py lacks"


def test_error_classes_are_found() -> None:
    assert "SpocError" in ERROR_CLASSES
    assert "did_you_mean" not in ERROR_CLASSES


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_every_error_class_has_a_heading(name: str) -> None:
    assert name in headings(read_page("errors.md")), f"docs/errors.md has no '## `{name}`' section"


def test_every_error_section_names_an_exported_class() -> None:
    text = read_page("errors.md")
    second_level = [line[3:].strip().replace("`", "") for line in text.splitlines() if line.startswith("## ")]
    assert set(second_level) - set(ERROR_CLASSES) == set(), "docs/errors.md documents classes spoc.errors lacks"


@pytest.mark.parametrize("page", sorted(path.name for path in DOCS.glob("*.md")))
def test_python_examples_are_valid_python(page: str) -> None:
    for block in code_blocks(read_page(page), "python"):
        try:
            ast.parse(block)
        except SyntaxError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"docs/{page}: a python block does not parse: {exc}\n{block}")


# -- the plugin page shows the whole minimal plugin ------------------------------------------

MINIMAL_PLUGIN = DOCS.parent / "examples" / "minimal-plugin"
REPO_FILE = re.compile(r"<!-- repo-file: (?P<path>[^ ]+) -->")


def test_the_smallest_plugin_on_the_page_is_the_whole_example() -> None:
    """Each block is compared with its file by tests/test_docs_pages.py; here, no file is left out."""
    shown = set(REPO_FILE.findall(section(read_page("plugins.md"), "The smallest plugin")))
    sources = {
        path.relative_to(DOCS.parent).as_posix()
        for pattern in ("*.py", "*.toml")
        for path in MINIMAL_PLUGIN.rglob(pattern)
        if not any(part.endswith(".egg-info") or part in {"build", "__pycache__"} for part in path.parts)
    }

    assert shown == sources, "docs/plugins.md should show every source file of examples/minimal-plugin"


# -- the error messages quoted in the docs are the ones SPOC prints ------------------------

TOML = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n'
HOOK = "import spoc\n\n\n@spoc.hookimpl\n"
SCHEMA = Schema(modules=["models", "views"], dependencies={"views": ["models"]})
EMPTY_MODULES = {"apps/blog/models.py": "", "apps/blog/views.py": ""}
CYCLE = Schema(modules=["models", "views"], dependencies={"views": ["models"], "models": ["views"]})


def _construct(project: Path) -> Any:
    return Framework(project, SCHEMA)


def _start(project: Path) -> Any:
    return Framework(project, SCHEMA).startup()


# name: (error class, files over TOML and an empty app package, what raises, environment variables)
ERROR_SCENARIOS: dict[str, tuple[type[BaseException], dict[str, str], Callable[[Path], Any], dict[str, str]]] = {
    "invoke an unknown component": (
        SpocError,
        {
            "apps/blog/models.py": "",
            "apps/blog/views.py": "from spoc import component\n\n\n@component\ndef latest(): ...\n",
        },
        lambda project: _start(project).invoke("views", "blog.lates"),
        {},
    ),
    "unknown mode in spoc.toml": (
        ConfigError,
        {"config/spoc.toml": TOML.replace('mode = "production"', 'mode = "prod"')},
        _construct,
        {},
    ),
    "unknown mode in SPOC_MODE": (ConfigError, {}, _construct, {"SPOC_MODE": "prod"}),
    "two problems in spoc.toml": (
        ConfigError,
        {"config/spoc.toml": '[spoc]\nmode = "production"\ndebg = true\napps = ["blog"]\n'},
        _construct,
        {},
    ),
    "configured plugin that cannot be imported": (
        ConfigError,
        {},
        lambda project: Framework(project, SCHEMA, settings={"plugins": {"middleware": ["my_project.audit"]}}),
        {},
    ),
    "app without a folder": (
        AppNotFoundError,
        {"config/spoc.toml": TOML.replace('["blog"]', '["blgo"]')},
        _construct,
        {},
    ),
    "module that fails to import": (AppImportError, {"apps/blog/models.py": "import missing_pkg\n"}, _start, {}),
    "module with a syntax error": (
        AppImportError,
        {"apps/blog/models.py": "def publish(post)\n    return post\n"},
        _start,
        {},
    ),
    "misspelled module of the project": (
        AppImportError,
        {"apps/blog/models.py": "", "apps/blog/views.py": "from apps.blog.modls import Post\n"},
        _start,
        {},
    ),
    "dunder name in [spoc.schema] modules": (
        ConfigError,
        {"config/spoc.toml": TOML + '\n[spoc.schema]\nmodules = ["models", "__main__"]\n'},
        Framework,
        {},
    ),
    "dotted name in Schema(modules=...)": (ConfigError, {}, lambda project: Schema(["models", "admin.views"]), {}),
    "missing module": (ModuleMissingError, {"apps/blog/models.py": ""}, _start, {}),
    "dependency cycle": (CycleError, {}, lambda project: Framework(project, CYCLE), {}),
    "duplicate component": (
        DuplicateComponentError,
        {
            # Tagged by calls, not decorators: Python 3.10 puts a decorator's call on the def line.
            "apps/blog/models.py": (
                "from spoc import component\ndef publish(post): ...\n\ncomponent(publish)\n\n"
                "def publish(post, when): ...\n\ncomponent(publish)\n"
            ),
            "apps/blog/views.py": "",
        },
        _start,
        {},
    ),
    "unknown hook": (
        HookValidationError,
        {"apps/blog/__init__.py": HOOK + "def spoc_strtup(framework): ...\n"},
        _construct,
        {},
    ),
    "unknown hook argument": (
        HookValidationError,
        {"apps/blog/__init__.py": HOOK + "def spoc_startup(framework, config): ...\n"},
        _construct,
        {},
    ),
    "async hook in the sync lifecycle": (
        AsyncHookError,
        {"apps/blog/__init__.py": HOOK + "async def spoc_startup(framework): ...\n", **EMPTY_MODULES},
        _start,
        {},
    ),
    "failing spoc_startup": (
        StartupError,
        {
            "apps/blog/__init__.py": HOOK
            + "def spoc_startup(framework):\n    raise RuntimeError('database is down')\n",
            **EMPTY_MODULES,
        },
        _start,
        {},
    ),
    "failing initialize and teardown": (
        StartupError,
        {
            "apps/blog/models.py": "def teardown():\n    raise OSError('disk full')\n",
            "apps/blog/views.py": "def initialize():\n    raise ValueError('bad view')\n",
        },
        _start,
        {},
    ),
    "failing spoc_shutdown": (
        ShutdownError,
        {
            "apps/blog/__init__.py": HOOK
            + "def spoc_shutdown(framework):\n    raise RuntimeError('cannot close the pool')\n",
            **EMPTY_MODULES,
        },
        lambda project: _start(project).shutdown(),
        {},
    ),
}


def _all_docs() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md")))


def _quoted(exc: BaseException, project: Path) -> list[str]:
    """Return how the docs quote ``exc`` (and each error of a group): ``module.Class: message``."""
    found = [exc, *getattr(exc, "exceptions", ())]
    return [f"{type(e).__module__}.{type(e).__name__}: {e}".replace(str(project), DOCS_PROJECT) for e in found]


@pytest.fixture
def docs_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder; installed entry-point plugins stay out of the messages."""
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    return tmp_path.resolve() / "my_project"


@pytest.mark.parametrize("scenario", sorted(ERROR_SCENARIOS))
def test_error_messages_in_the_docs_are_what_spoc_raises(
    scenario: str, docs_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error_class, files, action, environment = ERROR_SCENARIOS[scenario]
    write_files(docs_project, {"config/spoc.toml": TOML, "apps/blog/__init__.py": "", **files})
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(error_class) as info:
        action(docs_project)

    docs = _all_docs()
    for message in _quoted(info.value, docs_project):
        assert message in docs, f"the docs do not quote this {scenario} message:\n{message}"


def test_plugin_load_error_message_in_the_docs(docs_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = docs_project.parent / "site"
    write_files(
        site,
        {
            "spoc_timing-1.2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: spoc-timing\nVersion: 1.2.0\n",
            "spoc_timing-1.2.0.dist-info/entry_points.txt": "[spoc.plugins]\ntiming = spoc_timing\n",
            "spoc_timing.py": "import not_installed_dependency\n",
        },
    )
    write_files(docs_project, {"config/spoc.toml": TOML, "apps/blog/__init__.py": ""})
    monkeypatch.syspath_prepend(str(site))
    # The real spoc-timing, once imported by an earlier test, would hide this broken one.
    monkeypatch.delitem(sys.modules, "spoc_timing", raising=False)
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "timing")

    with pytest.raises(PluginLoadError) as info:
        Framework(docs_project, SCHEMA)

    assert _quoted(info.value, docs_project)[0] in _all_docs()


def test_spoc_warning_message_in_the_docs(docs_project: Path) -> None:
    write_files(
        docs_project, {"config/spoc.toml": TOML + "\n[spoc.timing]\nslow_ms = 250\n", "apps/blog/__init__.py": ""}
    )

    with pytest.warns(SpocWarning) as record:
        Framework(docs_project, SCHEMA)

    message = f"SpocWarning: {record[0].message}".replace(str(docs_project), DOCS_PROJECT)
    assert message in _all_docs()


def test_unknown_component_type_message_in_the_docs() -> None:
    from spoc import Components

    with pytest.raises(SpocError) as info:
        Components("model").register("modle")

    assert str(info.value) in read_page("components.md")


# -- every message a page quotes is one SPOC raises (the other direction of the tests above) ------

MESSAGE_BLOCK = re.compile(r"<!-- message -->\n```\w*\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE)
# Raised by tests/test_settings.py, which checks these quotes of docs/configuration.md itself.
QUOTED_BY_OTHER_TESTS = ("unknown setting SPOC_DEBG", "'spoc.timing.threshold_ms' = 'fast'")


@pytest.fixture
def raised_messages(docs_project: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message the error scenarios above make SPOC raise, as the docs quote them."""
    from spoc import Components

    found: list[str] = []
    for number, (error_class, files, action, environment) in enumerate(ERROR_SCENARIOS.values()):
        project = docs_project.parent / f"scenario{number}" / "my_project"
        write_files(project, {"config/spoc.toml": TOML, "apps/blog/__init__.py": "", **files})
        with monkeypatch.context() as patch:
            for name, value in environment.items():
                patch.setenv(name, value)
            with pytest.raises(error_class) as info:
                action(project)
        found += [message.replace(str(project), DOCS_PROJECT) for message in _quoted(info.value, project)]
    with pytest.raises(SpocError) as unknown_type:
        Components("model").register("modle")
    return [*found, str(unknown_type.value)]


@pytest.mark.parametrize("page", [p.name for p in sorted(DOCS.glob("*.md")) if p.name not in ("errors.md",)])
def test_every_message_a_page_quotes_is_raised_by_spoc(page: str, raised_messages: list[str]) -> None:
    for match in MESSAGE_BLOCK.finditer(read_page(page)):
        quoted = match["text"].strip()
        if any(marker in quoted for marker in QUOTED_BY_OTHER_TESTS):
            continue
        assert any(quoted == message or quoted in message.split("\n") for message in raised_messages), (
            f"docs/{page} quotes a message no scenario of tests/test_docs.py raises (add the scenario, or fix "
            f"the quote):\n{quoted}"
        )


# -- docs/architecture.md is the map of the code as it is ------------------------------------------

SPOC = DOCS.parent / "spoc"
SUBPACKAGES = ("settings", "plugins", "workers", "cli")
ARROW = re.compile(r"^\s*(\w+)\s*(?:-->|-\.->)\s*(\w+)\s*$")


def _architecture_blocks(language: str) -> list[str]:
    return code_blocks(read_page("architecture.md"), language)


def _node(module: str) -> str | None:
    """Return the box of the import picture that holds a module: its subpackage, or the kernel module."""
    parts = module.split(".")
    if parts[0] != "spoc" or len(parts) < 2 or parts[1] == "__main__":
        return None
    return parts[1]


def _imports_between_boxes() -> set[tuple[str, str]]:
    """Every import of one box by another at run time (not under TYPE_CHECKING), ``errors`` aside."""
    found: set[tuple[str, str]] = set()
    for path in SPOC.rglob("*.py"):
        module = ".".join(path.relative_to(SPOC.parent).with_suffix("").parts).removesuffix(".__init__")
        source = _node(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from spoc import hookspecs` imports a module; `from spoc import Framework` the package.
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [name for name in names if (SPOC.parent / f"{name.replace('.', '/')}.py").exists()]
                targets = targets or [node.module]
            else:
                continue
            for target in targets:
                box = _node(target)
                if box is not None and box not in (source, "errors"):
                    found.add((source, box))
    return found


def test_the_architecture_tree_names_every_module() -> None:
    [tree] = [block for block in _architecture_blocks("text") if block.startswith("spoc/")]
    sections: dict[str, str] = {"": ""}
    current = ""
    for line in tree.splitlines():
        match = re.match(r"^  (\w+)/", line)
        if match:
            current = match.group(1)
            sections[current] = ""
        sections[current] += line + "\n"
    missing = []
    for path in sorted(SPOC.rglob("*.py")):
        relative = path.relative_to(SPOC)
        package = relative.parts[0] if len(relative.parts) > 1 else ""
        if relative.name == "__init__.py" and package:
            continue  # the package's own line says what it owns
        if not re.search(rf"(?<![\w.]){re.escape(relative.name)}\b", sections.get(package, "")):
            missing.append(relative.as_posix())
    assert not missing, f"docs/architecture.md: the tree of spoc/ lacks {missing}"


def test_the_architecture_picture_draws_every_import_between_packages() -> None:
    picture = next(block for block in _architecture_blocks("mermaid") if "framework -->" in block)
    drawn = {(match[1], match[2]) for line in picture.splitlines() if (match := ARROW.match(line))}
    actual = _imports_between_boxes()

    assert actual - drawn == set(), f"docs/architecture.md: imports not drawn: {sorted(actual - drawn)}"
    assert drawn - actual == set(), f"docs/architecture.md: arrows that are no import: {sorted(drawn - actual)}"


def test_the_files_the_architecture_page_names_exist() -> None:
    named = set(re.findall(r"\b(spoc/[\w/]+\.py)\b", read_page("architecture.md")))
    in_packages = re.findall(r"\b((?:settings|plugins|workers|cli)/\w+\.py)\b", read_page("architecture.md"))
    named |= {f"spoc/{path}" for path in in_packages}
    assert named, "the page names no file"
    missing = sorted(path for path in named if not (DOCS.parent / path).is_file() and "<name>" not in path)
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"
