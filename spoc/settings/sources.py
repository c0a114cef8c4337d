"""Read each configuration source of a project into a :class:`~spoc.layers.Layer`.

spoc.toml, the per-mode files, the ``.env`` file, the ``SPOC_*`` variables,
``Framework(settings=...)`` and the settings module. Reading is all this module
does: files are only read, and the environment is only looked at.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from spoc.errors import ConfigError
from spoc.settings.core_keys import CORE_KEYS
from spoc.settings.layers import CONTROL_VARIABLES, ENV_PREFIX, Layer, Origin, Path_, Problem, flatten, overlaps

__all__ = [
    "argument_layer",
    "dotenv_layer",
    "environment_layer",
    "find_mode_files",
    "find_settings_module",
    "find_toml_files",
    "load_settings_module",
    "mode_file_layer",
    "module_layer",
    "python_line",
    "read_dotenv",
    "read_toml",
    "toml_layer",
    "toml_lines",
]

# Core fields the settings module may set by their UPPERCASE name (PLUGINS and
# INSTALLED_APPS have their own meaning: they add to the others).
MODULE_FIELDS: Final = tuple(key for key in CORE_KEYS if key != "plugins")
_SETTINGS_DIRS: Final = ("config", "conf", ".")
_SETTINGS_NAMES: Final = ("settings", "config", "configuration")
_MODE_DIRS: Final = (".env", "config/.env")


# -- files ------------------------------------------------------------------------------


def find_toml_files(base_dir: Path) -> list[Path]:
    """Return the spoc.toml files of a project, weakest first (``config/`` wins)."""
    return [path for path in (base_dir / "spoc.toml", base_dir / "config" / "spoc.toml") if path.is_file()]


def find_mode_files(base_dir: Path, mode: str) -> list[Path]:
    """Return the per-mode files, weakest first: in `.env/` then `config/.env/`, `<mode>.toml` else `default.toml`."""
    found: list[Path] = []
    for folder in _MODE_DIRS:
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


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file.

    Raises:
        ConfigError: the file is not valid TOML, naming it; the parser's error is chained.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        import tomli as tomllib
    try:
        with path.open("rb") as stream:
            document: dict[str, Any] = tomllib.load(stream)
            return document
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}. Fix the syntax at that line.", path=path) from exc


def _toml_parts(dotted: str) -> Path_:
    return tuple(part.strip().strip("\"'") for part in dotted.split("."))


def toml_lines(path: Path) -> dict[Path_, int]:
    """Return the line of each table header and key of a TOML file (tomllib gives no lines)."""
    # Compiled here, not at import (~0.5 ms): a project without a TOML file never needs them; re caches them.
    header_line = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$").match
    key_line = re.compile(
        r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
    ).match
    lines: dict[Path_, int] = {}
    table: Path_ = ()
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        header = header_line(text)
        if header:
            table = _toml_parts(header.group(1))
            lines.setdefault(table, number)
            continue
        key = key_line(text)
        if key:
            lines.setdefault((*table, *_toml_parts(key.group(1))), number)
    return lines


def _line_for(lines: Mapping[Path_, int], path: Path_) -> int | None:
    """Return the line of ``path``, else of its nearest parent that has one."""
    for length in range(len(path), 0, -1):
        if path[:length] in lines:
            return lines[path[:length]]
    return None


def toml_layer(path: Path, table: Mapping[str, Any], source: str, prefix: Path_ = ("spoc",)) -> Layer:
    """Return a layer of ``table``, the ``[spoc]`` (or ``[env]``) table of ``path``, with lines."""
    lines = toml_lines(path)
    layer = Layer()
    for leaf, value in flatten(table).items():
        layer.set(leaf, value, Origin(source, path, _line_for(lines, (*prefix, *leaf))))
    return layer


def mode_file_layer(path: Path, problems: list[Problem]) -> tuple[Layer, Layer]:
    """Read a per-mode file: its ``[spoc]`` table and its ``[env]`` table, as two layers."""
    document = read_toml(path)
    spoc_layer, env_layer = Layer(), Layer()
    lines = toml_lines(path)
    for name, value in document.items():
        origin = Origin("mode_file", path, lines.get((name,)))
        if name not in ("spoc", "env"):
            problems.append(
                Problem(f"unknown table [{name}] in a per-mode file; it may hold [spoc] and [env]", origin, name)
            )
        elif not isinstance(value, dict):
            problems.append(Problem(f"'{name}' must be a table ([{name}]), got {value!r}", origin, name))
        elif name == "spoc":
            if "mode" in value:
                where = Origin("mode_file", path, _line_for(lines, ("spoc", "mode")))
                problems.append(
                    Problem(
                        "'spoc.mode' cannot be set in a per-mode file: the mode picks the file. "
                        "Set it in spoc.toml, SPOC_MODE or Framework(settings=...).",
                        where,
                        "spoc.mode",
                    )
                )
            spoc_layer = toml_layer(path, {key: item for key, item in value.items() if key != "mode"}, "mode_file")
        else:
            env_layer = Layer()
            for key, item in value.items():
                env_layer.set((key,), item, Origin("mode_file", path, _line_for(lines, ("env", key))))
    return spoc_layer, env_layer


def _dotenv_value(raw: str) -> str | None:
    """Return the value of a ``.env`` line, unquoted; ``None`` for an unterminated quote."""
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        if end < 0:
            return None
        rest = raw[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            return None
        value = raw[1:end]
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"').replace("\\\\", "\\")
        return value
    # Unquoted: a comment starts at a '#' that follows whitespace.
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def read_dotenv(path: Path, problems: list[Problem]) -> dict[str, tuple[str, int]]:
    """Parse a ``.env`` file: ``KEY=VALUE`` lines, ``#`` comments, quotes, an optional ``export``.

    Returns:
        ``{name: (value, line)}``; malformed lines are added to ``problems``.
    """
    # Compiled here, not at import (~0.4 ms): most projects have no .env file; re caches it.
    key_value = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$").match
    found: dict[str, tuple[str, int]] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = text.strip()
        if not line or line.startswith("#"):
            continue
        match = key_value(line)
        value = _dotenv_value(match.group(2).strip()) if match else None
        if match is None or value is None:
            problems.append(
                Problem(
                    f"cannot read {line!r}: expected KEY=VALUE, with an optional 'export', and a value in "
                    "matching quotes ('...' or \"...\") when quoted",
                    Origin("dotenv", path, number),
                )
            )
            continue
        found[match.group(1)] = (value, number)
    return found


def _variables_layer(variables: Mapping[str, tuple[str, Origin]], problems: list[Problem]) -> Layer:
    """Turn ``SPOC_*`` variables into leaves: ``SPOC_TIMING__THRESHOLD_MS`` is ``timing.threshold_ms``."""
    layer = Layer()
    for name in sorted(variables):
        value, origin = variables[name]
        if not name.startswith(ENV_PREFIX) or name in CONTROL_VARIABLES or value == "":
            continue  # an empty variable counts as unset
        path = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
        clash = next((other for other in layer.values if overlaps(other, path)), None)
        if "" in path:
            problems.append(Problem(f"{name} has an empty part: write SPOC_<KEY> or SPOC_<SECTION>__<KEY>", origin))
        elif clash is not None:
            other = layer.origins[clash].variable
            problems.append(
                Problem(f"{name} and {other} both set 'spoc.{'.'.join(clash)}': unset one of them", origin, name)
            )
        else:
            layer.set(path, value, origin)
    return layer


def environment_layer(environ: Mapping[str, str], problems: list[Problem]) -> Layer:
    """Return the ``SPOC_*`` variables of the process as a layer (control variables left out)."""
    variables = {name: (value, Origin("environment", variable=name)) for name, value in environ.items()}
    return _variables_layer(variables, problems)


def dotenv_layer(path: Path, problems: list[Problem]) -> Layer:
    """Return the ``SPOC_*`` lines of a ``.env`` file as a layer; other names are for other tools."""
    variables = {
        name: (value, Origin("dotenv", path, line, name)) for name, (value, line) in read_dotenv(path, problems).items()
    }
    return _variables_layer(variables, problems)


def argument_layer(overrides: Mapping[str, Any]) -> Layer:
    """Return ``Framework(settings=...)`` (its lowercase keys) as the strongest layer."""
    layer = Layer()
    for path, value in flatten({key: value for key, value in overrides.items() if not key.isupper()}).items():
        layer.set(path, value, Origin("argument"))
    return layer


# -- the settings module -----------------------------------------------------------------


def load_settings_module(path: Path) -> dict[str, Any]:
    """Execute the settings module once and return its UPPERCASE names.

    Raises:
        ConfigError: the module raised, naming its file; the exception is chained.
    """
    spec = importlib.util.spec_from_file_location("spoc_project_settings", path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for exotic paths
        raise ConfigError("cannot be imported as a Python module", path=path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigError(
            f"the settings module raised {type(exc).__name__}: {exc}. See the chained traceback.", path=path
        ) from exc
    finally:
        sys.modules.pop(spec.name, None)
    return _uppercase_names(module)


def _uppercase_names(module: ModuleType) -> dict[str, Any]:
    return {name: value for name, value in vars(module).items() if name.isupper() and not name.startswith("_")}


def python_line(path: Path, name: str) -> int | None:
    """Return the line of the first ``NAME =`` in a Python file."""
    pattern = re.compile(rf"^{re.escape(name)}\s*(?::[^=]*)?=")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def module_layer(path: Path | None, names: Mapping[str, Any]) -> Layer:
    """Return the core fields the settings module sets by UPPERCASE name (``DEBUG = True``)."""
    layer = Layer()
    if path is None:
        return layer
    for field_name in MODULE_FIELDS:
        upper = field_name.upper()
        if upper in names:
            origin = Origin("settings_module", path, python_line(path, upper), upper)
            value = names[upper]
            leaves = flatten(value, (field_name,)) if isinstance(value, Mapping) and value else {(field_name,): value}
            for leaf, item in leaves.items():
                layer.set(leaf, item, origin)
    return layer
