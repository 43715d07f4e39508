"""Red flags, a request for a human, and the low-confidence fallback."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import call, chat_id, latest_text
from bot.service import Coach

MISSES_BEFORE_HUMAN = 2


class ActionRecordRedFlag(Action):
    """After utter_red_flag (sent by Rasa itself, so it arrives even if we are down)."""

    def name(self) -> str:
        return "action_record_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await call(dispatcher, Coach.record_red_flag, chat_id(tracker), latest_text(tracker))
        return []


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = await call(dispatcher, Coach.request_human, chat_id(tracker), latest_text(tracker))
        if done is not None:
            dispatcher.utter_message(response="utter_human_handoff")
        return []


class ActionFallback(Action):
    """Says what the coach can do; after two misses in a row, offers a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _misses_in_a_row(tracker) >= MISSES_BEFORE_HUMAN:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_default")
        return []


def _misses_in_a_row(tracker: Tracker) -> int:
    """This miss plus the user's previous messages that were answered by a fallback, back to back."""
    turns: list[list[str]] = []
    for event in tracker.events:
        if event.get("event") == "user":
            turns.append([])
        elif event.get("event") == "action" and turns:
            turns[-1].append(str(event.get("name")))
    misses = 1
    for actions in reversed(turns[:-1]):
        if "action_fallback" not in actions:
            break
        misses += 1
    return misses
