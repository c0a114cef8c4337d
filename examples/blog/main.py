"""The SPOC demo: a blog built as a modular monolith of four apps.

Run it from this folder (``make demo`` does):

    python main.py                         # mode development, from config/spoc.toml
    SPOC_MODE=production python main.py    # without the development-only app

Every line indented under ``startup`` and ``shutdown`` is one lifecycle step:
``import``/``unload`` come from the Schema hooks below, ``init``/``teardown``
from module-level initialize()/teardown(), ``start``/``stop`` from the apps'
spoc_startup/spoc_shutdown, and, last, from core's worker hooks as each worker
of apps/blog/workers.py starts and stops. Shutdown prints them in the exact
reverse order.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from types import ModuleType

import spoc

HERE = Path(__file__).resolve().parent
KINDS = ["models", "services", "views", "tasks", "workers"]
IMPORTED: list[str] = []


def _label(module: ModuleType) -> str:
    return module.__name__.removeprefix("apps.")


def imported(module: ModuleType) -> None:
    """Schema startup hook: called with each module once it is imported and its components collected."""
    IMPORTED.append(_label(module))
    summary = (module.__doc__ or "").strip().splitlines()
    print(f"  {'import':<9} {_label(module):<17} {summary[0] if summary else ''}".rstrip())


def unloaded(module: ModuleType) -> None:
    """Schema shutdown hook: called with each module at shutdown, in reverse import order."""
    print(f"  {'unload':<9} {_label(module)}")


# The same kinds and dependencies as [spoc.schema] in config/spoc.toml; a
# Schema given in code wins, and this one adds hooks for every kind.
SCHEMA = spoc.Schema(
    modules=KINDS,
    dependencies={
        "services": ["models"],
        "views": ["models", "services"],
        "tasks": ["services"],
        "workers": ["services", "tasks"],
    },
    hooks={kind: {"startup": imported, "shutdown": unloaded} for kind in KINDS},
)


def describe(fw: spoc.Framework) -> None:
    """Print what the Framework found while it was built: nothing is imported yet."""
    print("construct")
    print(f"  mode      {fw.settings.mode}")
    print(f"  apps      {', '.join(fw.installed_apps)}  (INSTALLED_APPS first, then the mode's apps)")
    by_kind: dict[str, list[str]] = {}
    for label in fw.import_order:
        app, kind = label.rsplit(".", 1)
        by_kind.setdefault(kind, []).append(app)
    prefix = "order"
    for kind, apps in by_kind.items():
        print(f"  {prefix:<9} {kind:<9} {', '.join(apps)}")
        prefix = ""


def show_components(fw: spoc.Framework) -> None:
    """Print the components collected from every module, by kind, and the views' routes."""
    print("components")
    for kind in KINDS:
        names = ", ".join(getattr(fw.components, kind))
        print(textwrap.fill(names, 100, initial_indent=f"  {kind:<9} ", subsequent_indent=" " * 12))
    print("routes")
    for name, function in fw.components.views.items():
        info = spoc.Components.get_info(function)
        if info is not None:
            print(f"  {info.metadata['method']:<9} {info.metadata['route']:<17} {name}")


def serve(fw: spoc.Framework) -> None:
    """Call a service and a few views the way a web server would: through fw.invoke()."""
    print("requests")
    print("  > services blog.publish")
    body = "Each app's models, services and views are collected under the app's name, like blog.Post."
    post = fw.invoke("services", "blog.publish", "grace", "Components", body)
    print(f"    published {post.slug!r}")
    for kind, name, kwargs in [
        ("views", "blog.list_posts", {"limit": fw.settings.POSTS_PER_PAGE}),
        ("views", "blog.show_post", {"slug": post.slug}),
        ("views", "users.list_users", {}),
    ]:
        print(f"  > {kind} {name}")
        for line in fw.invoke(kind, name, **kwargs).splitlines():
            print(f"    | {line}".rstrip())
    missing = fw.get_component("views", "blog.edit_post")
    print(f"  > views blog.edit_post: {missing} (get_component returns None for a missing name)")


def main() -> int:
    try:
        # strict=False: an app may lack a Schema module (debugtools has only views).
        fw = spoc.Framework(HERE, SCHEMA, strict=False)
        describe(fw)
        print("startup")
        with fw:  # startup() on entering, shutdown() on leaving, even after an error
            skipped = [label for label in fw.import_order if label not in IMPORTED]
            if skipped:
                print(f"  skipped   {', '.join(skipped)}  (no such file; strict=False skips it)")
            show_components(fw)
            serve(fw)
            print("shutdown")
    except spoc.SpocError as exc:
        # SPOC's errors say what went wrong, where, and how to fix it; the cause is chained.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("done: every step of startup was undone, in reverse order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
