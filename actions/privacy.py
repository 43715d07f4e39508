"""`/export` and `/forget`: a client's own data, to take away or to delete."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import call, chat_id, say
from bot.content.loader import messages
from bot.services.types import Reply


class ActionExport(Action):
    def name(self) -> str:
        return "action_export"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        say(dispatcher, Reply(messages()["export_ready"]))
        # The channel builds the file itself, so health data never travels in tracker events.
        dispatcher.utter_message(json_message={"export": True})
        return []


class ActionForget(Action):
    """Runs only after the client confirmed (see data/rules.yml)."""

    def name(self) -> str:
        return "action_forget"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await call(dispatcher, lambda s: s.privacy.forget(chat_id(tracker)))
        if reply is None:
            return []
        say(dispatcher, reply)
        return [Restarted()]
