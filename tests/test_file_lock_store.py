"""FileLockStore: one turn at a time per conversation, across processes, and free at a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.file_lock_store import FileLockStore

ROOT = Path(__file__).resolve().parents[1]

HOLDER = textwrap.dedent("""
    import asyncio, sys
    from bot.file_lock_store import FileLockStore

    async def main():
        async with FileLockStore(path=sys.argv[1]).lock(sys.argv[2]):
            print("locked", flush=True)
            await asyncio.sleep(float(sys.argv[3]))

    asyncio.run(main())
""")


def _holder(folder: Path, conversation: str, seconds: float) -> subprocess.Popen[str]:
    """Another process (as another Rasa worker) holding the conversation's lock."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), conversation, str(seconds)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


async def test_turns_of_one_conversation_never_overlap(tmp_path: Path) -> None:
    store = FileLockStore(path=str(tmp_path))
    inside: list[str] = []
    log: list[tuple[str, int]] = []

    async def turn(number: int) -> None:
        async with store.lock("client-1"):
            inside.append("x")
            log.append(("in", len(inside)))
            await asyncio.sleep(0.002)
            inside.pop()

    await asyncio.gather(*(turn(n) for n in range(30)))
    assert len(log) == 30 and all(depth == 1 for _, depth in log)


async def test_other_conversations_do_not_wait(tmp_path: Path) -> None:
    store = FileLockStore(path=str(tmp_path))
    first, second = "client-a", next(f"client-{n}" for n in range(100)
                                     if store.bucket(f"client-{n}") != store.bucket("client-a"))
    async with store.lock(first):
        started = time.monotonic()
        async with store.lock(second):
            assert time.monotonic() - started < 0.5


async def test_a_lock_held_by_another_process_is_waited_for(tmp_path: Path) -> None:
    holder = _holder(tmp_path, "client-1", 0.6)
    started = time.monotonic()
    async with FileLockStore(path=str(tmp_path)).lock("client-1"):
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert waited > 0.3


async def test_a_killed_process_lets_go_at_once(tmp_path: Path) -> None:
    holder = _holder(tmp_path, "client-1", 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    started = time.monotonic()
    async with FileLockStore(path=str(tmp_path)).lock("client-1"):
        assert time.monotonic() - started < 0.5


async def test_a_lock_never_freed_fails_as_rasas_do(tmp_path: Path) -> None:
    holder = _holder(tmp_path, "client-1", 30)
    try:
        with pytest.raises(LockError):
            async with FileLockStore(path=str(tmp_path)).lock("client-1", lock_lifetime=0.2):
                pass
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_rasa_builds_it_from_the_endpoints(tmp_path: Path) -> None:
    config = EndpointConfig(type="bot.file_lock_store.FileLockStore", path=str(tmp_path / "locks"))
    store = LockStore.create(config)
    assert isinstance(store, FileLockStore) and (tmp_path / "locks").is_dir()
