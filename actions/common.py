"""What every action shares: the services, the client's chat id, and safe replies."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services, default_services
from bot.services.context import chat_number
from bot.services.types import Reply

logger = logging.getLogger(__name__)
T = TypeVar("T")


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


def _service_call(error: BaseException) -> str:
    """The service method that met the error (`checkins.log_checkin`): the outermost frame in
    bot/services, since the call site is a lambda."""
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.parent.name == "services" and path.parent.parent.name == "bot":
            return f"{'services' if path.stem == '__init__' else path.stem}.{frame.name}"
    return "a service call"


async def call(dispatcher: CollectingDispatcher, work: Callable[[Services], T]) -> T | None:
    """Runs `work` (a service call: `lambda s: s.plans.todays_plan(chat)`) off the event loop
    with the process's services; a database failure becomes a kind reply, also when the
    database is down before the services are first built."""
    try:
        services = default_services()  # here, not at the call site: building connects (schema check)
        return await asyncio.to_thread(work, services)
    except SQLAlchemyError as error:
        logger.error("session database unavailable in %s: %s", _service_call(error), type(error).__name__)
        dispatcher.utter_message(response="utter_error")
        return None
