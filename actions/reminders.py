"""Reminder time ("7am", "18:30", "evenings"), rest-day hellos ("every day"), pause and resume."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import call, chat_id, latest_text, say
from actions.onboarding import match_choice, mentions
from bot.content.loader import answers
from bot.nlp import parsing
from bot.services.types import Reply

# How far back "remind me every day" may have been said: the request and the form's answers.
REMINDER_TURNS = 4


class ValidateReminderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reminder_form"

    def validate_reminder_time(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        at = parsing.parse_time(str(value))
        if at is None:
            dispatcher.utter_message(response="utter_invalid_reminder_time")
            return {"reminder_time": None}
        if parsing.parse_time(latest_text(tracker)) is None:
            # Filled before this message (the onboarding answer, an earlier change): "/reminder"
            # alone must ask for the new time, not confirm the old one.
            return {"reminder_time": None}
        return {"reminder_time": at.strftime("%H:%M")}


class ActionSetReminder(Action):
    def name(self) -> str:
        return "action_set_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        at = parsing.parse_time(str(tracker.get_slot("reminder_time")))
        if at is None:
            dispatcher.utter_message(response="utter_invalid_reminder_time")
            return [SlotSet("reminder_time", None)]
        rest_days = _rest_days_choice(tracker)
        reply = await call(dispatcher, lambda s: s.reminders.set_reminder(chat_id(tracker), at, rest_days))
        if reply is not None:
            say(dispatcher, reply)
        return []


async def _rest_days_or(dispatcher: CollectingDispatcher, tracker: Tracker, paused: bool) -> Reply | None:
    """"No reminders on rest days" is about the rest-day hellos, not about pausing everything
    (and "reminders on rest days as well" not about resuming): such words (answers.yml
    `rest_day_topic`) set just those."""
    text = latest_text(tracker)
    words = answers()
    choice = match_choice(text, words.rest_day_reminders) if mentions(text, words.rest_day_topic) else None
    if choice is not None:
        every_day = choice == "every_day"
        return await call(dispatcher, lambda s: s.reminders.set_rest_day_reminders(chat_id(tracker), every_day))
    return await call(dispatcher, lambda s: s.reminders.pause_reminders(chat_id(tracker), paused))


def _rest_days_choice(tracker: Tracker) -> bool | None:
    """"Remind me every day" (True) or "only on training days" (False), said since the client
    asked to change the reminder (a few messages at most); None when they did not say."""
    texts: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        texts.append(str(event.get("text") or ""))
        asked = (event.get("parse_data") or {}).get("intent", {}).get("name") == "set_reminder"
        if asked or len(texts) == REMINDER_TURNS:
            break
    choice = match_choice(" ".join(texts), answers().rest_day_reminders)
    return None if choice is None else choice == "every_day"


class ActionPauseReminders(Action):
    def name(self) -> str:
        return "action_pause_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await _rest_days_or(dispatcher, tracker, paused=True)
        if reply is not None:
            say(dispatcher, reply)
        return []


class ActionResumeReminders(Action):
    def name(self) -> str:
        return "action_resume_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = await _rest_days_or(dispatcher, tracker, paused=False)
        if reply is not None:
            say(dispatcher, reply)
        return []
