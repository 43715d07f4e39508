"""The channel's database work: turn records (claims that survive kill -9) and the enrolment gate.

An adapter, not a data layer: it runs bot.db's functions (turns, clients, invites) with this
process's owner id and clock, each call one unit of work in a worker thread, because the database
drivers block and the channel runs on Rasa's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import clients, invites, turns
from bot.db.engine import unit_of_work
from bot.db.turns import Reply, Turn
from bot.telegram import owner as owners

T = TypeVar("T")

# Telegram re-delivers an update for 24 hours at most; finished claims older than this go.
KEEP_DONE = timedelta(days=2)
# A claim held by a process on another host is taken to be dead after this long (on this host,
# a dead owner is seen at once). Longer than any real conversation turn.
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
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.allowed_chat_ids = frozenset(allowed_chat_ids)
        self.stale_after = stale_after
        self.clock = clock
        self.owner = owner or str(owners.this_process())

    async def _run(self, work: Callable[[Session], T]) -> T:
        def transaction() -> T:
            with unit_of_work(self.engine) as s:
                return work(s)

        return await asyncio.to_thread(transaction)

    def _is_gone(self, now: datetime) -> turns.IsGone:
        return lambda owner, claimed_at: owners.is_gone(owner, claimed_at, now, self.stale_after)

    async def claim(self, update_id: int, chat_id: int | None, update_json: str) -> Turn | None:
        """The turn to work on, or None when it is done or a live process holds it (committed
        before processing)."""
        def work(s: Session) -> Turn | None:
            now = self.clock()
            return turns.claim(s, update_id, chat_id, update_json, self.owner, now,
                               self._is_gone(now))

        return await self._run(work)

    async def record_replies(self, update_id: int, replies: list[Reply]) -> None:
        await self._run(lambda s: turns.record_replies(s, update_id, self.owner, replies))

    async def mark_delivered(
        self, update_id: int, count: int, keyboard: tuple[int, int] | None = None
    ) -> None:
        await self._run(lambda s: turns.mark_delivered(s, update_id, self.owner, count, keyboard,
                                                       self.clock()))

    async def keyboard_has_passed(self, chat_id: int, message_id: int | None) -> bool:
        return await self._run(lambda s: turns.keyboard_has_passed(s, chat_id, message_id))

    async def complete(self, update_id: int) -> None:
        await self._run(lambda s: turns.complete(s, update_id, self.clock()))

    async def release(self, update_id: int) -> None:
        await self._run(lambda s: turns.release(s, update_id, self.owner))

    async def orphans(self) -> list[tuple[int, str]]:
        """Unfinished turns of processes that are gone: (update id, the update as JSON)."""
        return await self._run(lambda s: turns.orphans(s, self._is_gone(self.clock())))

    async def prune(self) -> int:
        """Forget finished updates too old to be delivered again; how many were removed."""
        return await self._run(lambda s: turns.prune(s, self.clock() - KEEP_DONE))

    async def refuse_group_once(self, chat_id: int) -> bool:
        return await self._run(lambda s: turns.refuse_group_once(s, chat_id, self.clock()))

    async def is_enrolled(self, chat_id: int) -> bool:
        """May this chat be coached? A client who writes has unblocked the bot, if they had
        blocked it: their reminders start again."""
        def check(s: Session) -> bool:
            enrolled = clients.is_enrolled(s, chat_id, self.allowed_chat_ids)
            if enrolled:
                clients.mark_reachable(s, chat_id)
            return enrolled

        return await self._run(check)

    async def redeem(self, code: str, chat_id: int, display_name: str) -> bool:
        """Enrol the chat with an invite code; False if the code is unknown or used."""
        return await self._run(
            lambda s: invites.redeem_invite(s, code, chat_id, display_name or None, self.clock())
            is not None)
