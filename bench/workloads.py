"""Generate the benchmark workloads: projects of N apps, and fake installed distributions.

Everything is written into a folder the caller owns (a temp dir), so a run
never touches the repository and every run measures the same shapes.

A project is written for one framework: this repository's SPOC (``spoc``),
or upstream SPOC 0.3.0 or 0.9.0, each in its own idiom but with the same
apps, modules and components. Beside the framework's script (``run.py``)
each project holds its floor (``floor.py``): a process that imports the
framework's declared dependencies, then the same module files in the same
order with ``importlib``, and starts nothing. The modules' own ``import spoc``
and decorators run as they are (the issue's floor for SPOC's startup target);
with ``stand_in`` they get instead a stand-in whose decorators return what
they are given (``floor_stub/``), so that what the floor leaves out is all
the framework adds, its import and its decorators included: the upstream
comparison floors every framework that way.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.harness import PEAK_RSS_CODE

__all__ = [
    "CHECK_VARIABLE",
    "FLAVOURS",
    "FRAMEWORKS",
    "KINDS",
    "Project",
    "make_dist_env",
    "make_project",
]

KINDS: Final = ("models", "views", "services")
DEPENDENCIES: Final = {"views": ("models",), "services": ("models",)}
FLAVOURS: Final = ("dataclass", "plain")
FRAMEWORKS: Final = ("spoc", "0.3.0", "0.9.0")
COMPONENTS_PER_MODULE: Final = 5
# What each framework declares as its run-time dependencies, as imported: the floor imports them first.
FLOOR_IMPORTS: Final = {"spoc": ("pluggy", "pydantic_settings"), "0.3.0": (), "0.9.0": ()}
# Set in a check run (never a timed one): the scripts print what they imported or collected.
CHECK_VARIABLE: Final = "BENCH_CHECK"

_FLOOR_SCRIPT: Final = """\
import importlib
import os
import sys

base = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [{path}]
{imports}
with open(os.path.join(base, "import_order.txt"), encoding="utf-8") as lines:
    names = lines.read().split()
for name in names:
    importlib.import_module(name)
if os.environ.get("{check}"):
    print("modules", len(names))
"""

# A stand-in for the decorators the modules use, for SPOC and upstream 0.3.0 alike.
_SPOC_STUB: Final = '''\
"""The floor's stand-in for the framework: the decorators return what they are given."""


def component(obj=None, **options):
    return obj if obj is not None else _same


def _same(obj):
    return obj


class Components:
    def __init__(self, *kinds, **options):
        pass

    def add_type(self, *args, **options):
        pass

    def register(self, *args, **options):
        return _same
'''

_FRAMEWORK_STUB: Final = '''\
"""The floor's stand-in for upstream 0.9.0's framework.py: the decorators return what they are given."""


def _same(obj):
    return obj


model = view = service = _same
'''

# This repository's SPOC. Without hooks the Schema comes from spoc.toml.
_SPOC_RUN: Final = """\
import os

from spoc.framework import Framework

fw = Framework(os.path.dirname(os.path.abspath(__file__))).startup()
if os.environ.get("{check}"):
    print("components", sum(len(getattr(fw.components, kind)) for kind in fw.components))
fw.shutdown()
"""

_SPOC_RUN_HOOKS: Final = """\
import os

from spoc.framework import Framework, Schema


def nothing(module):
    return None


hook = {{"startup": nothing, "shutdown": nothing}}
schema = Schema(
    modules={kinds!r},
    dependencies={dependencies!r},
    hooks={{kind: hook for kind in {kinds!r}}},
)
fw = Framework(os.path.dirname(os.path.abspath(__file__)), schema).startup()
if os.environ.get("{check}"):
    print("components", sum(len(getattr(fw.components, kind)) for kind in fw.components))
fw.shutdown()
"""

# Upstream 0.3.0 (its README and spoc/framework.py): the constructor starts; apps/ goes on sys.path;
# components are collected for module kinds with a Schema hook, when the hook runs.
_V03_RUN: Final = """\
import os
from pathlib import Path

from spoc import Framework, Schema


def nothing(components):
    return None


hook = {{"startup": nothing, "shutdown": nothing}}
schema = Schema(
    modules={kinds!r},
    dependencies={dependencies!r},
    hooks={{kind: hook for kind in {kinds!r}}},
)
fw = Framework(base_dir=Path(__file__).resolve().parent, schema=schema)
if os.environ.get("{check}"):
    print("components", sum(len(getattr(fw.components, kind)) for kind in {kinds!r}))
fw.shutdown()
"""

# Upstream 0.9.0 (its README and scaffold templates): one framework.py declares the kinds and
# their decorators; the app modules import them; main starts it with the project folder.
_V09_FRAMEWORK: Final = """\
import spoc


def nothing(components):
    return None


framework = spoc.Framework(
{specs}
)
model = framework.kind("models")
view = framework.kind("views")
service = framework.kind("services")
"""

_V09_RUN: Final = """\
import os
from pathlib import Path

from framework import framework

framework.start(Path(__file__).resolve().parent)
if os.environ.get("{check}"):
    print("components", len(framework.registry))
framework.shutdown()
"""


@dataclass(frozen=True)
class Project:
    """A generated project.

    Attributes:
        path: the project folder (``config/spoc.toml``, ``apps/``, the two scripts).
        apps: the number of apps.
        flavour: ``"dataclass"`` or ``"plain"`` models.
        framework: ``"spoc"``, ``"0.3.0"`` or ``"0.9.0"``.
        order: the modules in the order the floor imports them: app
            packages, then every app's models, views, services.
    """

    path: Path
    apps: int
    flavour: str
    framework: str
    order: tuple[str, ...]

    @property
    def modules(self) -> int:
        """The number of Schema modules (3 per app)."""
        return self.apps * len(KINDS)

    @property
    def components(self) -> int:
        """The number of components the framework should collect."""
        return self.modules * COMPONENTS_PER_MODULE

    @property
    def floor_script(self) -> Path:
        return self.path / "floor.py"

    @property
    def run_script(self) -> Path:
        return self.path / "run.py"


def _decorators(framework: str, kind: str) -> tuple[list[str], str]:
    """The lines that make a kind's decorator available in a module, and its name."""
    if framework == "0.9.0":
        name = {"models": "model", "views": "view", "services": "service"}[kind]
        return [f"from framework import {name}"], name
    if framework == "0.3.0":
        # 0.3.0 collects a component into a kind when its metadata type is the kind's name.
        return ["import spoc", "", f'tag = spoc.Components("{kind}").register("{kind}")'], "tag"
    if kind == "models":
        return ["import spoc", "", 'model = spoc.Components("model").register("model")'], "model"
    meta = {"views": '{"type": "view", "route": "/{app}/{index}"}', "services": '{"type": "service"}'}[kind]
    return ["import spoc"], f"spoc.component(metadata={meta})"


def _header(app: str, kind: str, framework: str, flavour: str, package: str) -> list[str]:
    lines = [f'"""{kind.capitalize()} of {app} (generated, {framework}, {flavour} models)."""', ""]
    lines += ["from __future__ import annotations", ""]
    if kind == "models" and flavour == "dataclass":
        lines += ["from dataclasses import dataclass", ""]
    imports, _ = _decorators(framework, kind)
    lines += [*imports, ""]
    if kind == "views":
        lines += [f"from {package}{app}.models import Model0, Model1", ""]
    if kind == "services":
        lines += [f"from {package}{app}.models import Model0", ""]
    return lines


def _module(app: str, kind: str, framework: str, flavour: str, package: str) -> str:
    lines = _header(app, kind, framework, flavour, package)
    _, decorator = _decorators(framework, kind)
    for index in range(COMPONENTS_PER_MODULE):
        tag = decorator.replace("{app}", app).replace("{index}", str(index))
        if kind == "models" and flavour == "dataclass":
            body = f"""
                @{tag}
                @dataclass
                class Model{index}:
                    id: int
                    name: str = ""
                    size: int = {index}

                    def label(self) -> str:
                        return f"{{self.name}}#{{self.id}}"
                """
        elif kind == "models":
            body = f"""
                @{tag}
                class Model{index}:
                    def __init__(self, id: int, name: str = "", size: int = {index}) -> None:
                        self.id = id
                        self.name = name
                        self.size = size

                    def label(self) -> str:
                        return f"{{self.name}}#{{self.id}}"
                """
        elif kind == "views":
            body = f"""
                @{tag}
                def view_{index}(request: object = None) -> object:
                    return request if request is not None else Model{index % 2}
                """
        else:
            body = f"""
                @{tag}
                class Service{index}:
                    def create(self, id: int) -> Model0:
                        return Model0(id, "service{index}")
                """
        lines.append(textwrap.dedent(body))
    return "\n".join(lines)


def _spoc_toml(framework: str, apps: list[str], schema: bool) -> str:
    listed = [f"apps.{app}" for app in apps] if framework == "0.9.0" else apps
    names = ", ".join(f'"{app}"' for app in listed)
    # 0.3.0 requires all four keys; 0.9.0 refuses any key beyond its five.
    extra = "debug = false\n" if framework == "0.3.0" else ""
    text = f'[spoc]\nmode = "production"\n{extra}\n[spoc.apps]\nproduction = [{names}]\n'
    if framework == "0.3.0":
        text += "\n[spoc.plugins]\n"
    if schema:
        dependencies = "\n".join(f'{kind} = ["{dep[0]}"]' for kind, dep in DEPENDENCIES.items())
        modules = ", ".join(f'"{kind}"' for kind in KINDS)
        text += f"\n[spoc.schema]\nmodules = [{modules}]\n\n[spoc.schema.dependencies]\n{dependencies}\n"
    return text


def _v09_specs() -> str:
    specs = []
    for kind in KINDS:
        depends = f", depends_on={DEPENDENCIES[kind]!r}" if kind in DEPENDENCIES else ""
        specs.append(f'    spoc.KindSpec("{kind}"{depends}, on_startup=nothing, on_shutdown=nothing),')
    return "\n".join(specs)


def make_project(
    root: Path, apps: int, flavour: str, framework: str = "spoc", *, hooks: bool = False, stand_in: bool = False
) -> Project:
    """Write a project of ``apps`` apps x 3 modules x 5 components under ``root``.

    Views and services import their app's models, as the Schema's
    dependencies say. With ``hooks`` every module kind has a startup and a
    shutdown Schema hook that does nothing (upstream 0.3.0 collects
    components only for kinds with one, so the comparison with upstream gives
    every framework the same hooks); upstream projects always have them.

    Args:
        root: the folder to write the project in.
        apps: the number of apps.
        flavour: ``"dataclass"`` or ``"plain"`` models.
        framework: ``"spoc"`` (this repository), ``"0.3.0"`` or ``"0.9.0"`` (upstream).
        hooks: give every module kind no-op Schema hooks (always, for upstream).
        stand_in: the floor imports the modules through the stand-in for the
            framework's decorators, not the framework's own.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORKS)}")
    hooks = hooks or framework != "spoc"
    suffix = "" if framework == "spoc" else f"_upstream{framework.replace('.', '')}"
    if framework == "spoc" and hooks:
        suffix = "_hooks"
    path = root / f"project_{flavour}_{apps}{suffix}"
    names = [f"app{index:04d}" for index in range(apps)]
    (path / "config").mkdir(parents=True)
    schema_in_toml = framework == "spoc" and not hooks
    (path / "config" / "spoc.toml").write_text(_spoc_toml(framework, names, schema_in_toml), encoding="utf-8")
    # All three read the mode's environment file (0.3.0 warns on stderr when there is none).
    (path / "config" / ".env").mkdir()
    (path / "config" / ".env" / "production.toml").write_text('[env]\nregion = "eu"\n', encoding="utf-8")
    # 0.3.0 puts apps/ itself on sys.path and imports `blog.models`; the others import `apps.blog.models`.
    package = "" if framework == "0.3.0" else "apps."
    (path / "apps").mkdir()
    if package:
        (path / "apps" / "__init__.py").write_text("", encoding="utf-8")
    for app in names:
        folder = path / "apps" / app
        folder.mkdir()
        (folder / "__init__.py").write_text(f'"""The generated app {app}."""\n', encoding="utf-8")
        for kind in KINDS:
            (folder / f"{kind}.py").write_text(_module(app, kind, framework, flavour, package), encoding="utf-8")
    order = tuple([f"{package}{app}" for app in names] + [f"{package}{app}.{kind}" for kind in KINDS for app in names])
    (path / "import_order.txt").write_text("\n".join(order) + "\n", encoding="utf-8")
    _write_scripts(path, framework, hooks, stand_in)
    return Project(path, apps, flavour, framework, order)


def _write_scripts(path: Path, framework: str, hooks: bool, stand_in: bool) -> None:
    stub = path / "floor_stub"
    stub.mkdir()
    fill = {
        "check": CHECK_VARIABLE,
        "kinds": list(KINDS),
        "dependencies": {k: list(v) for k, v in DEPENDENCIES.items()},
    }
    if framework == "0.9.0":
        (stub / "framework.py").write_text(_FRAMEWORK_STUB, encoding="utf-8")
        (path / "framework.py").write_text(_V09_FRAMEWORK.format(specs=_v09_specs()), encoding="utf-8")
        run = _V09_RUN.format(**fill)
    else:
        (stub / "spoc").mkdir()
        (stub / "spoc" / "__init__.py").write_text(_SPOC_STUB, encoding="utf-8")
        if framework == "0.3.0":
            # 0.3.0 imports the project's settings module and reads PLUGINS from it.
            (path / "config" / "settings.py").write_text("PLUGINS = {}\n", encoding="utf-8")
            run = _V03_RUN.format(**fill)
        else:
            run = (_SPOC_RUN_HOOKS if hooks else _SPOC_RUN).format(**fill)
    imports = "".join(f"import {name}\n" for name in FLOOR_IMPORTS[framework])
    # 0.3.0 imports the apps from apps/ itself (`blog.models`), the others from the project folder.
    where = 'os.path.join(base, "apps")' if framework == "0.3.0" else "base"
    if stand_in:
        where = f'os.path.join(base, "floor_stub"), {where}'

    floor = _FLOOR_SCRIPT.format(path=where, imports=imports or "# no declared dependencies\n", check=CHECK_VARIABLE)
    # Both print their own peak RSS at the end, the same few lines in each.
    (path / "floor.py").write_text(floor + PEAK_RSS_CODE, encoding="utf-8")
    (path / "run.py").write_text(run + PEAK_RSS_CODE, encoding="utf-8")


def _runtime_closure(root: str = "spoc") -> list[str]:
    """Return the installed distributions SPOC needs at run time: its requirements, transitively, no extras."""
    seen: list[str] = []
    pending = [root]
    while pending:
        name = pending.pop()
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        if name != root:
            seen.append(name)
        for requirement in requires:
            if "extra ==" in requirement.replace("'", '"').replace("extra==", "extra =="):
                continue
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if match and match.group(0) not in seen and match.group(0) not in pending:
                pending.append(match.group(0))
    return seen


def _link_distribution(name: str, target: Path) -> int:
    """Symlink an installed distribution's top-level modules and its dist-info into ``target``.

    Returns the number of distributions linked (0 when it is not installed).
    """
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return 0
    for top in sorted({file.parts[0] for file in dist.files or ()}):
        source = Path(str(dist.locate_file(top)))
        if top == ".." or top.endswith(".pth") or top == "__pycache__" or (target / top).exists():
            continue
        if source.exists():
            os.symlink(source, target / top)
    return 1


def make_dist_env(root: Path, count: int, spoc_source: Path, plugins: int = 3) -> Path:
    """Write a folder that looks like site-packages with ``count`` installed distributions.

    SPOC itself (``spoc_source``, the package folder) and its run-time
    requirements (transitively, as installed here) are linked in and count;
    the rest are fake ``*.dist-info`` folders, a few of them with
    ``spoc.plugins`` or ``console_scripts`` entry points, as a real
    environment has. Put the folder on ``PYTHONPATH`` and run ``python -S``
    so nothing else is seen.
    """
    root.mkdir(parents=True)
    os.symlink(spoc_source, root / "spoc")
    present = 1 + sum(_link_distribution(name, root) for name in _runtime_closure())
    for index in range(max(count - present, 0)):
        name = f"fake_dist_{index:04d}"
        info = root / f"{name}-1.{index}.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 1.{index}.0\n"
            f"Summary: a generated distribution for the discovery benchmark\n",
            encoding="utf-8",
        )
        (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
        (info / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n", encoding="utf-8")
        (info / "top_level.txt").write_text(f"{name}\n", encoding="utf-8")
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/METADATA,,\n", encoding="utf-8")
        if index < plugins:
            entry = f"[spoc.plugins]\n{name} = {name}.plugin\n"
        elif index % 4 == 0:
            entry = f"[console_scripts]\n{name} = {name}.cli:main\n"
        else:
            continue
        (info / "entry_points.txt").write_text(entry, encoding="utf-8")
    return root
