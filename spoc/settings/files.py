"""Find and read a project's configuration files: spoc.toml, the per-mode files, ``.env``, the settings module.

Reading only; nothing here imports pydantic, so the inspection commands that
need no settings (``plugins``, ``hooks``) can read the plugin selection.
Configuration files are UTF-8 (a BOM is accepted); anything else is a
:class:`ConfigError` naming the file and the byte offset.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from spoc.errors import ConfigError
from spoc.settings.origins import ConfigProblem, KeyPath, Origin

__all__ = [
    "DotenvFile",
    "SettingsModule",
    "TomlFile",
    "find_dotenv",
    "find_mode_files",
    "find_settings_module",
    "find_toml_files",
    "line_for",
    "python_line",
    "read_text",
]

_SETTINGS_DIRS: Final = ("config", "conf", ".")
_SETTINGS_NAMES: Final = ("settings", "config", "configuration")
_MODE_DIRS: Final = (".env", "config/.env")
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_HEADER: Final = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY: Final = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def find_toml_files(base_dir: Path) -> list[Path]:
    """Return the spoc.toml files of a project, strongest first (``config/`` wins over the root)."""
    return [path for path in (base_dir / "config" / "spoc.toml", base_dir / "spoc.toml") if path.is_file()]


def find_mode_files(base_dir: Path, mode: str) -> list[Path]:
    """Return the per-mode files, strongest first: ``config/.env/`` then ``.env/``.

    In each folder, ``<mode>.toml``, else ``default.toml``.
    """
    found: list[Path] = []
    for folder in reversed(_MODE_DIRS):
        for name in (f"{mode}.toml", "default.toml"):
            candidate = base_dir / folder / name
            if candidate.is_file():
                found.append(candidate)
                break
    return found


def find_settings_module(base_dir: Path) -> Path | None:
    """Return the project's settings module: ``config/``, ``conf/``, root; settings, config, configuration."""
    for folder in _SETTINGS_DIRS:
        for name in _SETTINGS_NAMES:
            for candidate in (base_dir / folder / f"{name}.py", base_dir / folder / name / "__init__.py"):
                if candidate.is_file():
                    return candidate
    return None


def find_dotenv(base_dir: Path) -> Path | None:
    """Return the project's ``.env`` file, if it has one."""
    path = base_dir / ".env"
    return path if path.is_file() else None


def read_text(path: Path) -> str:
    """Read a configuration file as UTF-8, a leading BOM skipped.

    Raises:
        ConfigError: the file holds bytes that are not UTF-8, naming the byte offset.
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded "
            f"({exc.reason}). Save the file as UTF-8.",
            path=path,
        ) from None


def _toml_parts(dotted: str) -> KeyPath:
    return tuple(part.strip().strip("\"'") for part in dotted.split("."))


def line_for(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """Return the line of ``path``, else of its nearest parent that has one."""
    for length in range(len(path), 0, -1):
        if path[:length] in lines:
            return lines[path[:length]]
    return None


@dataclass
class TomlFile:
    """A parsed TOML file and the line of each of its keys (``tomllib`` gives no lines)."""

    path: Path
    document: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> TomlFile:
        """Parse ``path``.

        Raises:
            ConfigError: the file is not UTF-8 or not valid TOML, naming it; the parser's error is chained.
        """
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - depends on the interpreter
            import tomli as tomllib
        text = read_text(path)
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}. Fix the syntax at that line.", path=path) from exc
        lines: dict[KeyPath, int] = {}
        table: KeyPath = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = _toml_parts(header.group(1))
                lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                lines.setdefault((*table, *_toml_parts(key.group(1))), number)
        return cls(path, document, lines)

    def origin(self, path: KeyPath, source: str = "toml") -> Origin:
        """Return the origin of the value at ``path`` (from the document's top, e.g. ``("spoc", "mode")``)."""
        return Origin(source, self.path, line_for(self.lines, path))

    def table(self, name: str, problems: list[ConfigProblem], source: str = "toml") -> dict[str, Any]:
        """Return the top-level table ``name`` (``{}`` if absent); a value that is not a table is a problem."""
        value = self.document.get(name, {})
        if isinstance(value, dict):
            return value
        problems.append(
            ConfigProblem(f"'{name}' must be a table ([{name}]), got {value!r}", self.origin((name,), source), name)
        )
        return {}


@dataclass
class DotenvFile:
    """A ``.env`` file, checked with python-dotenv's own parser: ``{name: (value, line)}``."""

    path: Path
    variables: dict[str, tuple[str, int]]

    @classmethod
    def read(cls, path: Path, problems: list[ConfigProblem]) -> DotenvFile:
        """Parse ``path``; a line python-dotenv cannot read is a problem naming the file and line."""
        from dotenv.parser import parse_stream

        variables: dict[str, tuple[str, int]] = {}
        for binding in parse_stream(io.StringIO(read_text(path))):
            # python-dotenv also takes `NAME` alone (no value) and names no shell accepts.
            if binding.error or (binding.key is not None and (binding.value is None or not _NAME.match(binding.key))):
                problems.append(
                    ConfigProblem(
                        f"cannot read {binding.original.string.strip()!r}: expected KEY=VALUE, with an optional "
                        "'export', and a value in matching quotes ('...' or \"...\") when quoted",
                        Origin("dotenv", path, binding.original.line),
                    )
                )
            elif binding.key is not None:
                variables[binding.key] = (binding.value or "", binding.original.line)
        return cls(path, variables)

    def origin(self, name: str) -> Origin:
        """Return the origin of variable ``name`` of this file."""
        line = next((line for key, (_, line) in self.variables.items() if key.upper() == name.upper()), None)
        return Origin("dotenv", self.path, line, name)


@dataclass
class SettingsModule:
    """A project's settings module, executed once: its UPPERCASE names and its ``Settings`` class, if any."""

    path: Path
    names: dict[str, Any]
    settings_class: type[Any] | None

    @classmethod
    def load(cls, path: Path, base_dir: Path) -> SettingsModule:
        """Execute the module, once per framework, under the name it is imported by (``config.settings``).

        Kept in ``sys.modules`` under that name, so that importing the project's
        ``Settings`` class after the framework is built gives the very class of
        ``fw.settings``.

        Raises:
            ConfigError: the module raised, naming its file; the exception is chained.
        """
        name = _module_name(path, base_dir)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - only for exotic paths
            raise ConfigError("cannot be imported as a Python module", path=path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ConfigError(
                f"the settings module raised {type(exc).__name__}: {exc}. See the chained traceback.", path=path
            ) from exc
        namespace = vars(module)
        names = {name: value for name, value in namespace.items() if name.isupper() and not name.startswith("_")}
        declared = namespace.get("Settings")
        return cls(path, names, declared if isinstance(declared, type) else None)

    @cached_property
    def _text(self) -> list[str]:
        return read_text(self.path).splitlines()

    def origin(self, name: str) -> Origin:
        """Return the origin of the module's ``NAME``: its file and the line that assigns it."""
        return Origin("settings_module", self.path, python_line(self._text, name), name)


def _module_name(path: Path, base_dir: Path) -> str:
    """Return the dotted name the project imports its settings module by: ``config.settings`` for that file."""
    parts = path.relative_to(base_dir).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join(parts) if all(part.isidentifier() for part in parts) else "spoc_project_settings"


def python_line(lines: list[str], name: str) -> int | None:
    """Return the line of the first ``NAME =`` (or ``NAME: type =``, ``class NAME``) among a Python file's lines."""
    pattern = re.compile(rf"^(?:{re.escape(name)}\s*(?::[^=]*)?=|class\s+{re.escape(name)}\b)")
    return next((number for number, line in enumerate(lines, start=1) if pattern.match(line)), None)
