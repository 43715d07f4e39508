"""The channel's database work: update de-duplication and the enrolment gate.

Each call is one unit of work run in a worker thread, because the database drivers block and the
channel runs on Rasa's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import repo
from bot.db.engine import unit_of_work

T = TypeVar("T")

# Telegram re-delivers an update for 24 hours at most; finished claims older than this go.
KEEP_DONE = timedelta(days=2)
# A claim older than this is taken to belong to a worker that died; its update is processed
# again. Longer than any real conversation turn, short enough that a restart recovers soon.
STALE_CLAIM = timedelta(minutes=2)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ChannelStore:
    def __init__(
        self,
        engine: Engine,
        allowed_chat_ids: Collection[int] = (),
        stale_after: timedelta = STALE_CLAIM,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.allowed_chat_ids = frozenset(allowed_chat_ids)
        self.stale_after = stale_after
        self.clock = clock

    async def _run(self, work: Callable[[Session], T]) -> T:
        def transaction() -> T:
            with unit_of_work(self.engine) as s:
                return work(s)

        return await asyncio.to_thread(transaction)

    async def claim(self, update_id: int) -> bool:
        """True if this worker should process the update (committed before processing)."""
        return await self._run(
            lambda s: repo.claim_update(s, update_id, self.clock(), self.stale_after))

    async def complete(self, update_id: int) -> None:
        await self._run(lambda s: repo.complete_update(s, update_id, self.clock()))

    async def release(self, update_id: int) -> None:
        await self._run(lambda s: repo.release_update(s, update_id))

    async def prune(self) -> int:
        """Forget finished updates too old to be delivered again; how many were removed."""
        return await self._run(lambda s: repo.prune_updates(s, self.clock() - KEEP_DONE))

    async def is_enrolled(self, chat_id: int) -> bool:
        """May this chat be coached? A client who writes has unblocked the bot, if they had
        blocked it: their reminders start again."""
        def check(s: Session) -> bool:
            enrolled = repo.is_enrolled(s, chat_id, self.allowed_chat_ids)
            if enrolled:
                repo.mark_reachable(s, chat_id)
            return enrolled

        return await self._run(check)

    async def redeem(self, code: str, chat_id: int, display_name: str) -> bool:
        """Enrol the chat with an invite code; False if the code is unknown or used."""
        return await self._run(
            lambda s: repo.redeem_invite(s, code, chat_id, display_name or None, self.clock())
            is not None)
