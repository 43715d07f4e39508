"""What a serving speed-up keeps per conversation between turns: the most recent ones only.

Each speed-up resumes work it did for a conversation at an earlier turn, and checks before using
it that it still fits the tracker. Keeping as many conversations as the tracker store keeps
trackers (`KEPT_TRACKERS`) bounds the memory; a conversation dropped is worked out afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

from bot.tracker_store import KEPT_TRACKERS

K = TypeVar("K")
V = TypeVar("V")


class Kept(OrderedDict[K, V]):
    """Most recently kept last; the least recently kept are dropped beyond `KEPT_TRACKERS`."""

    def keep(self, key: K, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > KEPT_TRACKERS:
            self.popitem(last=False)
