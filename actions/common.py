"""What every action shares: the coach service, the client's chat id, and safe replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.service import Coach, Reply, chat_number

logger = logging.getLogger(__name__)
T = TypeVar("T")


@lru_cache(maxsize=1)
def coach() -> Coach:
    return Coach.from_settings()


def chat_id(tracker: Tracker) -> int:
    return chat_number(tracker.sender_id)


def first_name(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    name = metadata.get("first_name")
    return str(name)[:64] if name else None


def message_id(tracker: Tracker) -> str | None:
    """The id of the client's message this turn answers (our Telegram channel: "tg-<update id>").
    A message run through Rasa again after a restart has the same id, so the service writes once."""
    found = tracker.latest_message.get("message_id")
    return str(found)[:64] if found else None


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def say(dispatcher: CollectingDispatcher, reply: Reply, **extra: Any) -> None:
    buttons = [{"title": title, "payload": payload} for title, payload in reply.buttons]
    dispatcher.utter_message(text=reply.text, buttons=buttons or None, **extra)


async def call(dispatcher: CollectingDispatcher, method: Callable[..., T], *args: Any) -> T | None:
    """Runs a Coach method (`Coach.todays_plan`, ...) off the event loop; a database failure
    becomes a kind reply, also when the database is down before the first Coach is built."""
    try:
        service = coach()  # here, not at the call site: building it connects (schema check)
        return await asyncio.to_thread(method, service, *args)
    except SQLAlchemyError as error:
        logger.error("session database unavailable in %s: %s", method.__name__, type(error).__name__)
        dispatcher.utter_message(response="utter_error")
        return None
