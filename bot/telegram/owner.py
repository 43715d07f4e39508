"""Who holds a claim on an update, and whether that process still exists.

An owner is "host|boot id|pid|start time". On the same host and boot, a claim whose process is
gone (or whose pid now belongs to a newer process) is free at once: a restart after kill -9
takes its half-done turns over immediately. A claim from another host (a replica elsewhere) or
from an owner we cannot read is taken to be alive until it is `stale_after` old.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

SEPARATOR = "|"


@dataclass(frozen=True)
class Owner:
    host: str
    boot: str
    pid: int
    started: str  # the process start time in clock ticks since boot (/proc/PID/stat field 22)

    def __str__(self) -> str:
        return SEPARATOR.join((self.host, self.boot, str(self.pid), self.started))

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = text.split(SEPARATOR)
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]), parts[3])


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id") or "unknown-boot"


def process_start(pid: int) -> str | None:
    """The start time of `pid`, or None if there is no such process (or no /proc)."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


@cache
def this_process() -> Owner:
    pid = os.getpid()
    return Owner(socket.gethostname(), boot_id(), pid, process_start(pid) or "0")


def is_gone(owner: str | None, claimed_at: datetime, now: datetime, stale_after: timedelta) -> bool:
    """May another process take over a claim held by `owner` since `claimed_at`?"""
    if owner is None:  # released after a failure: free to take
        return True
    me = this_process()
    held = Owner.parse(owner)
    if held is None or held.host != me.host:
        return now - claimed_at > stale_after
    if held.boot != me.boot:  # the machine restarted since
        return True
    return process_start(held.pid) != held.started
