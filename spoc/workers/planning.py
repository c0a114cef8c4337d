"""Plan the workers' part of the lifecycle: collect every worker, then one startup step per worker.

The framework runs these steps last in startup, with the other steps'
undo stack, so every worker starts after ``spoc_startup`` and stops before
``spoc_shutdown``, the last started first. A worker step leaves nothing
behind whatever interrupts it: its undo may run at any time, even when the
start never ran or was cut short.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from spoc.components import get_info
from spoc.errors import WorkerError
from spoc.lifecycle import Step
from spoc.workers.spec import WORKER_TYPE, WorkerSpec, spec_of

if TYPE_CHECKING:
    import pluggy

    from spoc.framework import Framework
    from spoc.plugins.host import PluginHost
    from spoc.workers.supervisor import Worker

__all__ = ["collect_workers", "worker_steps"]


def _from_hook(host: PluginHost, impl: pluggy.HookImpl, framework: Framework, found: list[WorkerSpec]) -> None:
    result = host.call_one("spoc_register_workers", impl, framework=framework)
    if result is None:
        return
    if callable(result) or isinstance(result, (str, bytes)):
        raise WorkerError(
            f"spoc_register_workers of {host.describe_impl(impl)} returned {result!r}; "
            "return a list of workers, e.g. [spoc.worker(poll, every=5.0)]",
            worker="",
        )
    for obj in result:
        found.append(spec_of(obj, f"{impl.plugin_name}.{getattr(obj, '__name__', type(obj).__name__)}"))


def collect_workers(framework: Framework, contributed: list[WorkerSpec]) -> list[WorkerSpec]:
    """Return the worker components of every module kind, then ``contributed``, names unique.

    Raises:
        WorkerError: two workers share a name.
    """
    specs: list[WorkerSpec] = []
    seen: set[int] = set()
    for kind in framework.components.kinds():
        for name, obj in getattr(framework.components, kind).items():
            info = get_info(obj)
            if info is not None and info.type == WORKER_TYPE and id(obj) not in seen:
                seen.add(id(obj))
                specs.append(spec_of(obj, name, framework.components.site(kind, name) or ""))
    specs += [spec for spec in contributed if id(spec.target) not in seen]
    by_name: dict[str, WorkerSpec] = {}
    for spec in specs:
        first = by_name.setdefault(spec.name, spec)
        if first is not spec:
            raise WorkerError(
                f"two workers are named {spec.name!r}: at {first.site} and at {spec.site}. "
                "Give one of them another name: @spoc.worker(name=...).",
                worker=spec.name,
                site=spec.site,
            )
    return specs


def worker_steps(framework: Framework, host: PluginHost, running: list[Worker]) -> Iterator[Step]:
    """Yield the steps that collect the workers, then one per worker: start it, undone by stopping it.

    ``running`` is the framework's list of running workers (``fw.workers``):
    a worker is in it from the moment its start succeeded until its stop, once.
    """
    contributed: list[WorkerSpec] = []
    for impl in host.ordered_impls("spoc_register_workers"):
        yield Step(
            f"spoc_register_workers of {host.describe_impl(impl)}",
            partial(_from_hook, host, impl, framework, contributed),
            kind="spoc_register_workers",
            target=impl.plugin_name,
        )
    specs = collect_workers(framework, contributed)
    if not specs:
        return
    # Threads, processes and event loops are imported only by projects that have workers.
    from spoc.workers.supervisor import Worker

    for spec in specs:
        handle = Worker(spec, framework)
        yield Step(
            f"start worker {spec.name}",
            partial(_start, handle, running),
            partial(_stop, handle, running),
            f"stop worker {spec.name}",
            "worker",
            spec.name,
            undo_anytime=True,  # stopping a worker that never started does nothing
        )


def _start(handle: Worker, running: list[Worker]) -> None:
    """Start a worker and list it; if anything interrupts this, stop it again before the interruption goes on."""
    try:
        handle.start()
        if handle not in running:
            running.append(handle)
    except BaseException:
        # stop() has logged and reported its own failure; the caller must see what interrupted the start.
        with contextlib.suppress(WorkerError):
            _stop(handle, running)
        raise


def _stop(handle: Worker, running: list[Worker]) -> None:
    """Stop a worker (a no-op if it never started) and unlist it, also when stopping fails."""
    try:
        handle.stop()
    finally:
        with contextlib.suppress(ValueError):  # never listed: its start failed or was interrupted
            running.remove(handle)
