"""A process that serves the real Telegram channel (polling) and kills itself with SIGKILL at a
chosen instant of a turn: `python -m tests.faults.turn_worker` with

    DATABASE_URL, TRACKER_DB, TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL
    KILL_AT="point:n"   die at the n-th time `point` is reached (optional)

Rasa's agent is stood in for by `ScriptedAgent`, which does what Rasa's processor does, in the
same order, on a real SQL tracker store: log the user message, run an "action", collect the
replies, save the tracker. Its reply numbers each message by how many the tracker holds, so a
message handled twice, or a turn lost, shows up as a wrong number in what the client saw.
Model loading would make twenty restarts of the real Rasa take ~15 minutes; the real stack is
killed mid-turn in test_fault_kill_mid_turn.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.db.engine import make_engine
from bot.messaging.client import make_bot
from bot.telegram import TelegramInput
from bot.telegram.output import TelegramOutput
from bot.telegram.store import ChannelStore
from tests.telegram.harness import serve

POINTS = (
    "claim_committed", "before_rasa", "action_done", "tracker_saved", "replies_recorded",
    "before_send", "sent_not_marked", "delivered_marked", "before_complete",
)
_reached: Counter[str] = Counter()


def kill_point(point: str) -> None:
    _reached[point] += 1
    wanted, _, nth = os.environ.get("KILL_AT", "").partition(":")
    if point == wanted and _reached[point] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def reply_texts(number: int, text: str) -> list[str]:
    """What the scripted coach answers to the `number`-th message of the conversation."""
    return [f"#{number} got: {text}", f"#{number} next?"]


class ScriptedAgent:
    def __init__(self, tracker_store: SQLTrackerStore) -> None:
        self.tracker_store = tracker_store

    async def handle_message(self, message: UserMessage) -> None:
        kill_point("before_rasa")
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        number = sum(isinstance(e, UserUttered) for e in tracker.events)
        await asyncio.sleep(0.05)  # the action server call
        kill_point("action_done")
        for text in reply_texts(number, message.text or ""):
            event = BotUttered(text)
            tracker.update(event)
            await message.output_channel.send_response(message.sender_id, event.message())
        tracker.update(ActionExecuted("action_listen"))
        await self.tracker_store.save(tracker)
        kill_point("tracker_saved")


def after(method: Callable[..., Awaitable[Any]], point: str) -> Callable[..., Awaitable[Any]]:
    async def traced(*args: Any, **kwargs: Any) -> Any:
        result = await method(*args, **kwargs)
        kill_point(point)
        return result

    return traced


def install_kill_points() -> None:
    ChannelStore.claim = after(ChannelStore.claim, "claim_committed")
    ChannelStore.record_replies = after(ChannelStore.record_replies, "replies_recorded")
    ChannelStore.mark_delivered = after(ChannelStore.mark_delivered, "delivered_marked")
    complete = ChannelStore.complete

    async def before_complete(self: ChannelStore, update_id: int) -> None:
        kill_point("before_complete")
        await complete(self, update_id)

    ChannelStore.complete = before_complete
    send = TelegramOutput._send

    async def traced_send(self: TelegramOutput, call: Callable[[], Awaitable[Any]]) -> None:
        async def sending() -> Any:
            kill_point("before_send")
            message = await call()
            kill_point("sent_not_marked")  # Telegram has it; the turn record does not know yet
            return message

        await send(self, sending)

    TelegramOutput._send = traced_send


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    install_kill_points()
    bot = make_bot(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_BASE_URL"],
                   read_timeout=2.0, base_delay=0.05)
    channel = TelegramInput(bot, make_engine(os.environ["DATABASE_URL"]), poll_timeout=1,
                            poll_retry_delay=0.05)
    agent = ScriptedAgent(SQLTrackerStore(dialect="sqlite", db=os.environ["TRACKER_DB"]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(channel, agent):
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
