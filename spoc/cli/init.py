"""``spoc init NAME``: scaffold a new project that passes ``check`` and runs with ``python main.py``.

Nothing is overwritten: if any file to write exists, nothing is written.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Final

from spoc.cli.context import CommandContext
from spoc.errors import SpocError

HELP = "scaffold a new project in folder NAME (never overwrites a file)"

_TOML: Final = """\
# The project's configuration; `python -m spoc check` checks it.
[spoc]
mode = "development"

[spoc.apps]
production = [{apps}]

# Every app may have these modules; they are imported in dependency order.
[spoc.schema]
modules = [{modules}]
{dependencies}"""

_MAIN: Final = '''\
"""{title}: start the application, use it, stop it."""

from __future__ import annotations

from pathlib import Path

import spoc

HERE = Path(__file__).resolve().parent


def main() -> None:
    # The Schema comes from [spoc.schema] in config/spoc.toml; `with` always shuts down.
    with spoc.Framework(HERE) as fw:
        print(f"started {{', '.join(fw.installed_apps) or 'no apps'}} in mode {{fw.settings.mode!r}}")
{body}    print("stopped")

if __name__ == "__main__":
    main()
'''

_APP_INIT: Final = '''\
"""The {app} app. Hook implementations (@spoc.hookimpl) may live here."""
'''

_MODELS: Final = '''\
"""The {app} app's models: its data."""

from __future__ import annotations

from dataclasses import dataclass

import spoc


@spoc.component(metadata={{"type": "model"}})
@dataclass
class Greeting:
    """A message to someone."""

    to: str
    text: str = "hello"
'''

_VIEWS: Final = '''\
"""The {app} app's views: what it shows. Imported after the models."""

from __future__ import annotations

import spoc

from apps.{app}.models import Greeting


@spoc.component(metadata={{"type": "view"}})
def greet(to: str) -> str:
    """Return a greeting for ``to``."""
    greeting = Greeting(to)
    return f"{{greeting.text}}, {{greeting.to}}!"
'''

_RUN_VIEW: Final = """\
        print(fw.invoke("views", "{app}.greet", "world"))
"""

TEMPLATES: Final = {
    "app": "one app with models and views, and main.py calling a view",
    "minimal": "the configuration and main.py, without apps",
}
DEFAULT_APP: Final = "hello"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The folder to create, and ``--template``."""
    parser.add_argument("name", metavar="NAME", help="the project folder to create (relative to the working folder)")
    parser.add_argument(
        "--template",
        choices=tuple(TEMPLATES),
        default="app",
        help="; ".join(f"{name}: {text}" for name, text in TEMPLATES.items()) + " (default: app)",
    )


def render(title: str, template: str) -> dict[str, str]:
    """Return ``{relative path: text}`` of a new project."""
    if template == "minimal":
        toml = _TOML.format(apps="", modules="", dependencies="")
        return {"config/spoc.toml": toml, "main.py": _MAIN.format(title=title, body="")}
    app = DEFAULT_APP
    toml = _TOML.format(
        apps=f'"{app}"',
        modules='"models", "views"',
        dependencies='\n[spoc.schema.dependencies]\nviews = ["models"]\n',
    )
    return {
        "config/spoc.toml": toml,
        f"apps/{app}/__init__.py": _APP_INIT.format(app=app),
        f"apps/{app}/models.py": _MODELS.format(app=app),
        f"apps/{app}/views.py": _VIEWS.format(app=app),
        "main.py": _MAIN.format(title=title, body=_RUN_VIEW.format(app=app)),
    }


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Write the files, or none of them when one exists."""
    target = Path(args.name)
    if target.exists() and not target.is_dir():
        raise SpocError(f"cannot create a project in {target}: it is a file. Choose another NAME.")
    title = re.sub(r"[^\w-]+", " ", target.resolve().name).strip() or "project"
    files = render(title, args.template)
    existing = [relative for relative in files if (target / relative).exists()]
    if existing:
        raise SpocError(
            f"not writing the project into {target}: {', '.join(existing)} "
            f"{'already exists' if len(existing) == 1 else 'already exist'} there, and init never overwrites a "
            "file. Choose a new NAME, or move those files away."
        )
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"created {args.template} project {title!r} in {target}:", file=context.out)
    for relative in files:
        print(f"  {relative}", file=context.out)
    print(f"next: cd {target} && python main.py (then: python -m spoc check)", file=context.out)
    return 0
