"""Reminder time, pause and resume; /export and /forget, through the real actions and database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time
from typing import TYPE_CHECKING, Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.privacy import ActionExport, ActionForget
from actions.reminders import ActionPauseReminders, ActionResumeReminders, ActionSetReminder, ValidateReminderForm
from bot.content.loader import messages
from bot.services import default_services

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker

Said = Callable[[], list[Any]]
FormTracker = Callable[..., Tracker]


def stored(chat_id: int) -> dict[str, Any]:
    return json.loads(default_services().privacy.export_json(chat_id))


@pytest.mark.parametrize(
    ("answer", "value"),
    [("7pm", "19:00"), ("8 in the morning", "08:00"), ("18:30", "18:30"), ("after lunch", "13:00"),
     ("whenever", None), ("25:00", None)],
)
async def test_a_reminder_time_is_read_or_reasked(
    answer: str, value: str | None, form_tracker: FormTracker, dispatcher: CollectingDispatcher,
    domain: DomainDict, said: Said,
) -> None:
    tracker = form_tracker("reminder_form", "reminder_time", answer)
    events = await ValidateReminderForm().run(dispatcher, tracker, domain)
    assert events == [SlotSet("reminder_time", value)]
    assert said() == ([] if value else ["utter_invalid_reminder_time"])


async def test_setting_a_reminder_saves_the_time(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("7pm", "set_reminder", slots={"reminder_time": "19:00"})
    assert await ActionSetReminder().run(dispatcher, tracker, domain) == []
    m = messages()
    assert said() == [m["reminder_set"].format(time="19:00") + m["reminder_rest_days_offer"]]
    assert stored(onboarded)["profile"]["reminder_time"] == "19:00:00"
    assert stored(onboarded)["client"]["light_reminders"] is False


@pytest.mark.parametrize(
    ("turns", "text", "light", "tail"),
    [
        ([], "remind me every day at 8am", True, "reminder_rest_days_on"),
        ([("can you remind me on rest days too", "set_reminder")], "8am", True, "reminder_rest_days_on"),
        ([], "8am but only on training days", False, "reminder_rest_days_off"),
        ([], "8am, not every day please", False, "reminder_rest_days_off"),
    ],
)
async def test_rest_day_hellos_are_opted_in_and_out_in_plain_words(
    turns: list[tuple[str, str]], text: str, light: bool, tail: str, onboarded: int,
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
) -> None:
    intent = "inform" if turns else "set_reminder"
    tracker = make_tracker(text, intent, slots={"reminder_time": "08:00"}, turns=turns)
    await ActionSetReminder().run(dispatcher, tracker, domain)
    m = messages()
    assert said() == [m["reminder_set"].format(time="08:00") + m[tail]]
    assert stored(onboarded)["client"]["light_reminders"] is light


async def test_an_earlier_opt_in_is_kept_when_only_the_time_moves(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    earlier = [("remind me every day", "set_reminder"), ("9am", "inform"), ("thanks", "thank")]
    tracker = make_tracker("move my reminder to 6pm", "set_reminder", slots={"reminder_time": "18:00"}, turns=earlier)
    default_services().reminders.set_reminder(onboarded, time(9, 0), True)
    await ActionSetReminder().run(dispatcher, tracker, domain)
    assert said() == [messages()["reminder_set"].format(time="18:00") + messages()["reminder_rest_days_on"]]
    assert stored(onboarded)["client"]["light_reminders"] is True


async def test_an_unreadable_reminder_slot_is_cleared_and_reasked(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("soon", "set_reminder", slots={"reminder_time": "soon"})
    assert await ActionSetReminder().run(dispatcher, tracker, domain) == [SlotSet("reminder_time", None)]
    assert said() == ["utter_invalid_reminder_time"]
    assert stored(onboarded)["profile"]["reminder_time"] == "07:30:00"


async def test_reminders_pause_and_resume(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    await ActionPauseReminders().run(dispatcher, make_tracker("stop reminding me", "pause_reminders"), domain)
    assert stored(onboarded)["client"]["reminders_paused"] is True
    await ActionResumeReminders().run(dispatcher, make_tracker("remind me again", "resume_reminders"), domain)
    assert stored(onboarded)["client"]["reminders_paused"] is False
    assert said() == [messages()["reminders_paused"], messages()["reminders_resumed"].format(time="07:30")]


async def test_export_asks_the_channel_for_the_file(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    assert await ActionExport().run(dispatcher, make_tracker("/export", "export_data"), domain) == []
    # The data itself never travels through Rasa's tracker: the channel builds the file.
    assert said() == [messages()["export_ready"], {"export": True}]


async def test_forget_deletes_the_client_and_restarts_the_conversation(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    forget = make_tracker("yes, delete everything", "affirm")
    assert await ActionForget().run(dispatcher, forget, domain) == [Restarted()]
    assert stored(onboarded) == {}
    assert not default_services().plans.profile_complete(onboarded)
    assert await ActionForget().run(dispatcher, forget, domain) == [Restarted()]
    assert said() == [messages()["forgotten"], messages()["nothing_to_forget"]]


@pytest.mark.parametrize(
    ("text", "intent", "light", "paused", "reply"),
    [
        ("no reminders on rest days", "pause_reminders", False, False, "rest_days_off"),
        ("i want reminders on rest days as well", "resume_reminders", True, False, "rest_days_on"),
        ("stop the daily messages", "pause_reminders", False, True, "reminders_paused"),
    ],
)
async def test_pausing_or_resuming_that_names_rest_days_sets_only_the_rest_day_hellos(
    text: str, intent: str, light: bool, paused: bool, reply: str, onboarded: int,
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
) -> None:
    action = ActionPauseReminders() if intent == "pause_reminders" else ActionResumeReminders()
    await action.run(dispatcher, make_tracker(text, intent), domain)
    assert said() == [messages()[reply]]
    client = stored(onboarded)["client"]
    assert (client["light_reminders"], client["reminders_paused"]) == (light, paused)
