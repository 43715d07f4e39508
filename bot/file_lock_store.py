"""Conversation locks shared by the Rasa workers of one machine, without Redis.

With two Sanic workers (`RASA_WORKERS=2`, both cores serving), a conversation's messages can reach
either worker, and its turns must still run one at a time: two at once would both extend and save
the same tracker. Rasa's in-memory lock store covers one process only, and Rasa refuses more than
one worker with it. Here a conversation's lock is an exclusive `flock` on one of `BUCKETS` files
under `path`, chosen by a hash of the conversation id: the kernel arbitrates between processes,
and a worker that dies (kill -9 included) lets go of its locks at once, where a stored ticket
would block the conversation until it expired. Two conversations that share a bucket wait for each
other; with 1,024 buckets and a turn under 100 ms that costs nothing at a clinic's scale.

    lock_store:
      type: bot.file_lock_store.FileLockStore
      path: var/run/locks     # a folder on a local disk (flock is not for network file systems)
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

BUCKETS = 1024
POLL_SECONDS = 0.005  # a waiting turn looks again this often (a turn takes tens of ms)


class FileLockStore(LockStore):
    """Rasa's `lock()` on an OS file lock per conversation bucket; nothing is stored."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, path: str | None = None, **_: Any) -> None:
        """Rasa builds a lock store named by class path as `cls(endpoint_config=...)`."""
        folder = path or (endpoint_config.kwargs.get("path") if endpoint_config else None)
        if not folder:
            raise ValueError("FileLockStore needs a folder: `path:` in the endpoints' lock_store")
        self.path = Path(folder)
        self.path.mkdir(parents=True, exist_ok=True)

    def bucket(self, conversation_id: str) -> Path:
        digest = hashlib.blake2b(conversation_id.encode(), digest_size=8).digest()
        return self.path / f"{int.from_bytes(digest, 'big') % BUCKETS:04d}.lock"

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Held from the turn's start to its end; a turn that cannot get it within
        `lock_lifetime` seconds fails with Rasa's LockError, as with Rasa's own stores."""
        fd = os.open(self.bucket(conversation_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = asyncio.get_running_loop().time() + lock_lifetime
            while not _try_lock(fd):
                if asyncio.get_running_loop().time() > deadline:
                    raise LockError(f"Could not lock conversation within {lock_lifetime:.0f} s")
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
            yield TicketLock(conversation_id)
        finally:
            os.close(fd)  # closing the file releases its lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


async def hold(path: Path, poll_seconds: float) -> int:
    """Waits until this process holds `path` exclusively, and returns the open file: the lock
    lasts until it is closed or the process ends (one worker among several does a job, and
    another takes over when it dies)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while not _try_lock(fd):
            await asyncio.sleep(poll_seconds)
    except BaseException:
        os.close(fd)
        raise
    return fd
