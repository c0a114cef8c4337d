"""Generate the benchmark workloads: projects of N apps, fake installed distributions.

Everything is written into a folder the caller owns (a temp dir), so a run
never touches the repository and every run measures the same shapes.
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
    "FLAVOURS",
    "KINDS",
    "Project",
    "make_dist_env",
    "make_project",
]

KINDS: Final = ("models", "views", "services")
FLAVOURS: Final = ("dataclass", "plain")
COMPONENTS_PER_MODULE: Final = 5
ORDER_FILE: Final = "import_order.txt"

# The floor: import the same modules in the same order, no framework. os.path rather
# than pathlib so the floor pays for nothing the modules do not need themselves.
FLOOR_SCRIPT: Final = """\
import importlib
import os
import sys

base = os.path.dirname(os.path.abspath(__file__))
if base not in sys.path:
    sys.path.insert(0, base)
with open(os.path.join(base, "import_order.txt"), encoding="utf-8") as lines:
    for name in lines.read().split():
        importlib.import_module(name)
"""

SPOC_SCRIPT: Final = """\
import os

from spoc.framework import Framework

Framework(os.path.dirname(os.path.abspath(__file__))).startup().shutdown()
"""


@dataclass(frozen=True)
class Project:
    """A generated project.

    Attributes:
        path: the project folder (holds ``config/spoc.toml`` and the two scripts).
        apps: the number of apps.
        flavour: ``"dataclass"`` or ``"plain"`` models.
        order: the modules in the order SPOC imports them: app packages, then
            every app's models, views, services.
    """

    path: Path
    apps: int
    flavour: str
    order: tuple[str, ...]

    @property
    def modules(self) -> int:
        """The number of Schema modules (3 per app)."""
        return self.apps * len(KINDS)

    @property
    def floor_script(self) -> Path:
        return self.path / "run_floor.py"

    @property
    def spoc_script(self) -> Path:
        return self.path / "run_spoc.py"


def _models(app: str, flavour: str) -> str:
    lines = [
        f'"""Models of {app} (generated, {flavour} flavour)."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if flavour == "dataclass":
        lines += ["from dataclasses import dataclass", ""]
    lines += ["import spoc", "", 'model = spoc.Components("model").register("model")', ""]
    for index in range(COMPONENTS_PER_MODULE):
        if flavour == "dataclass":
            body = f"""
                @model
                @dataclass
                class Model{index}:
                    id: int
                    name: str = ""
                    size: int = {index}

                    def label(self) -> str:
                        return f"{{self.name}}#{{self.id}}"
                """
        else:
            body = f"""
                @model
                class Model{index}:
                    def __init__(self, id: int, name: str = "", size: int = {index}) -> None:
                        self.id = id
                        self.name = name
                        self.size = size

                    def label(self) -> str:
                        return f"{{self.name}}#{{self.id}}"
                """
        lines.append(textwrap.dedent(body))
    return "\n".join(lines)


def _views(app: str) -> str:
    lines = [
        f'"""Views of {app} (generated)."""',
        "",
        "from __future__ import annotations",
        "",
        "import spoc",
        "",
        f"from apps.{app}.models import Model0, Model1",
        "",
    ]
    for index in range(COMPONENTS_PER_MODULE):
        body = f"""
            @spoc.component(metadata={{"type": "view", "route": "/{app}/{index}"}})
            def view_{index}(request: object = None) -> object:
                return request if request is not None else Model{index % 2}
            """
        lines.append(textwrap.dedent(body))
    return "\n".join(lines)


def _services(app: str) -> str:
    lines = [
        f'"""Services of {app} (generated)."""',
        "",
        "from __future__ import annotations",
        "",
        "import spoc",
        "",
        f"from apps.{app}.models import Model0",
        "",
    ]
    for index in range(COMPONENTS_PER_MODULE):
        body = f"""
            @spoc.component(metadata={{"type": "service"}})
            class Service{index}:
                def create(self, id: int) -> Model0:
                    return Model0(id, "service{index}")
            """
        lines.append(textwrap.dedent(body))
    return "\n".join(lines)


def _spoc_toml(apps: list[str]) -> str:
    names = ", ".join(f'"{app}"' for app in apps)
    return textwrap.dedent(f"""\
        [spoc]
        mode = "production"

        [spoc.apps]
        production = [{names}]

        [spoc.schema]
        modules = ["models", "views", "services"]

        [spoc.schema.dependencies]
        views = ["models"]
        services = ["models"]
        """)


def make_project(root: Path, apps: int, flavour: str) -> Project:
    """Write a project of ``apps`` apps x 3 modules x 5 components under ``root``.

    Views and services import their app's models, as the Schema's dependencies
    say; the import order is written to ``import_order.txt`` for the floor.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    path = root / f"project_{flavour}_{apps}"
    names = [f"app{index:04d}" for index in range(apps)]
    (path / "config").mkdir(parents=True)
    (path / "config" / "spoc.toml").write_text(_spoc_toml(names), encoding="utf-8")
    (path / "apps").mkdir()
    (path / "apps" / "__init__.py").write_text("", encoding="utf-8")
    writers = {"models": lambda app: _models(app, flavour), "views": _views, "services": _services}
    for app in names:
        folder = path / "apps" / app
        folder.mkdir()
        (folder / "__init__.py").write_text(f'"""The generated app {app}."""\n', encoding="utf-8")
        for kind in KINDS:
            (folder / f"{kind}.py").write_text(writers[kind](app), encoding="utf-8")
    order = tuple([f"apps.{app}" for app in names] + [f"apps.{app}.{kind}" for kind in KINDS for app in names])
    (path / ORDER_FILE).write_text("\n".join(order) + "\n", encoding="utf-8")
    # Both print their own peak RSS at the end, the same few lines in each.
    (path / "run_floor.py").write_text(FLOOR_SCRIPT + PEAK_RSS_CODE, encoding="utf-8")
    (path / "run_spoc.py").write_text(SPOC_SCRIPT + PEAK_RSS_CODE, encoding="utf-8")
    return Project(path, apps, flavour, order)


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

    SPOC itself and its run-time requirements (transitively, as installed
    here) are linked in and count; the rest are fake ``*.dist-info`` folders, a few of them with ``spoc.plugins``
    or ``console_scripts`` entry points, as a real environment has. Put the
    folder on ``PYTHONPATH`` and run ``python -S`` so nothing else is seen.
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
