"""Runs a server module as `python -m` would, timed and profiled: `python -m bench.profiled OUT SPECS MODULE …`.

bench.profile_turn starts the stack's two servers through this. SPECS (comma-separated
`module:Class.method`, `module:Class.*` or `module:*`) are wrapped in wall-clock timers whose
starts are on the machine's monotonic clock, so each call can be matched to the client's turn;
timers see what cProfile cannot: time a coroutine spends awaiting (the HTTP call to the action
server) and the spread between turns. cProfile is armed by SIGUSR1, so it sees the turns meant
for it and not the model load; work sent to threads (`asyncio.to_thread`) is profiled per thread.
At exit (SIGTERM: Sanic stops the server, or our handler raises SystemExit) it writes
OUT.timers.json and OUT.<n>.prof (pstats files, one per profiled thread).
"""

from __future__ import annotations

import cProfile
import functools
import importlib
import inspect
import json
import marshal
import runpy
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import thread as pool_thread
from pathlib import Path
from typing import Any

RECORDS: list[tuple[str, str, float, float, int | None, Any]] = []  # group, label, start, s, events, json
PROFILES: list[cProfile.Profile] = [cProfile.Profile()]  # [0] is the main thread's (the event loop)
_local = threading.local()
_armed = threading.Event()
_run_work_item = pool_thread._WorkItem.run


def targets(spec: str) -> list[tuple[Any, str]]:
    """(owner, attribute name) pairs a spec names; `*` is every public function defined there."""
    module_name, _, path = spec.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, leaf = path.split(".")
    for name in parents:
        owner = getattr(owner, name)
    if leaf != "*":
        return [(owner, leaf)]
    return [(owner, name) for name, value in vars(owner).items()
            if not name.startswith("_") and inspect.isfunction(value)
            and (inspect.isclass(owner) or value.__module__ == module_name)]


def _record(group: str, fn: Callable[..., Any], start: float, args: tuple[Any, ...], kwargs: dict[str, Any],
            result: Any) -> None:
    """A graph node is labelled with its node name (run_DIETClassifier3…), anything else with its name;
    a tracker's event count and a request's JSON body (sized at exit, not here) are kept too."""
    seconds = time.perf_counter() - start
    label = getattr(args[0], "_node_name", None) if args else None
    events = getattr(result, "events", None)
    RECORDS.append((group, label or fn.__qualname__, start, seconds,
                    len(events) if events is not None else None, kwargs.get("json")))


def timed(group: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A timer around `fn`; for plain functions only the outermost call of a group in a thread
    counts, so an engine function calling another is not counted twice."""
    if inspect.iscoroutinefunction(fn):
        async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            result = await fn(*args, **kwargs)
            _record(group, fn, start, args, kwargs, result)
            return result
        return functools.wraps(fn)(timed_coroutine)

    def timed_function(*args: Any, **kwargs: Any) -> Any:
        active: set[str] = _local.__dict__.setdefault("active", set())
        if group in active:
            return fn(*args, **kwargs)
        active.add(group)
        start = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        finally:
            active.discard(group)
        _record(group, fn, start, args, kwargs, result)
        return result
    return functools.wraps(fn)(timed_function)


def _profiled_work_item(self: Any) -> None:
    """A thread-pool job under this thread's own profiler once armed (a profiler sees one thread)."""
    if not _armed.is_set():
        return _run_work_item(self)
    if not hasattr(_local, "profile"):
        _local.profile = cProfile.Profile()
        PROFILES.append(_local.profile)
    _local.profile.enable()
    try:
        return _run_work_item(self)
    finally:
        _local.profile.disable()


def arm(out: str) -> None:
    """SIGUSR1: profile from now on; the marker file tells the client it is done."""
    _armed.set()
    PROFILES[0].enable()
    Path(f"{out}.armed").touch()


def write(out: str) -> None:
    PROFILES[0].disable()
    for n, profile in enumerate(PROFILES):
        profile.snapshot_stats()
        if profile.stats:
            Path(f"{out}.{n}.prof").write_bytes(marshal.dumps(profile.stats))
    rows = [[group, label, start, seconds, events, len(json.dumps(body).encode()) if body is not None else None]
            for group, label, start, seconds, events, body in RECORDS]
    Path(f"{out}.timers.json").write_text(json.dumps(rows))


def main() -> None:
    out, specs, module, *args = sys.argv[1:]
    for spec in filter(None, specs.split(",")):
        for owner, name in targets(spec):
            found = inspect.getattr_static(owner, name)
            if isinstance(found, classmethod):
                setattr(owner, name, classmethod(timed(spec, found.__func__)))
            else:
                setattr(owner, name, timed(spec, getattr(owner, name)))
    pool_thread._WorkItem.run = _profiled_work_item  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, lambda *_: arm(out))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # until Sanic installs its own stop
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        write(out)


if __name__ == "__main__":
    main()
