"""debugtools: development-only helpers, listed under development in spoc.toml.

It has only a views module: main.py builds the Framework with strict=False,
which skips the modules an app does not have.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import spoc


@spoc.hookimpl
def spoc_startup() -> None:
    """Registered after the production apps, so started after them."""
    print("  start     debugtools        timing every fw.invoke() call")


@spoc.hookimpl
def spoc_shutdown() -> None:
    """Stopped first: the reverse of starting."""
    print("  stop      debugtools        timing off")


@spoc.hookimpl(wrapper=True)
def spoc_invoke(component: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Generator[None, Any, Any]:
    """Middleware: wrap every fw.invoke() call and report how long it took."""
    started = time.perf_counter()
    result = yield
    elapsed = (time.perf_counter() - started) * 1000
    print(f"    [debugtools] {component.__module__}.{component.__name__}() took {elapsed:.2f} ms")
    return result
