"""Today's workout, check-ins, pain, fatigue and progress, through the real actions and database.

The action server's clock is fixed (tests/actions/conftest.py NOW); the onboarded client's first
training day is that day (in America/Chicago), so today is a strength day.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.coaching import (
    ActionHandleFatigue,
    ActionHandlePain,
    ActionLogCheckin,
    ActionLogSkip,
    ActionProgress,
    ActionTodaysWorkout,
    ValidateCheckinForm,
    ValidatePainForm,
)
from bot.content.loader import messages
from bot.services import default_services
from bot.services.planning import plan_buttons

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker

Said = Callable[[], list[Any]]
FormTracker = Callable[..., Tracker]
BUTTONS = [{"title": title, "payload": payload} for title, payload in plan_buttons()]
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def stored(chat_id: int) -> dict[str, Any]:
    """Everything the database holds about the client."""
    return json.loads(default_services().privacy.export_json(chat_id))


async def test_todays_workout_needs_a_profile(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("what do I do today?", "ask_todays_workout")
    events = await ActionTodaysWorkout().run(dispatcher, tracker, domain)
    assert events == []
    assert said() == [messages()["not_onboarded"]]
    assert dispatcher.messages[0]["buttons"] == []


async def test_todays_workout_on_a_strength_day_has_exercises_and_checkin_buttons(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
    today: int,
) -> None:
    events = await ActionTodaysWorkout().run(dispatcher, make_tracker("/today", "ask_todays_workout"), domain)
    assert events == []
    [text] = said()
    assert text.startswith(f"Strength day — {DAY_NAMES[today]} ") and "\n1. " in text
    assert dispatcher.messages[0]["buttons"] == BUTTONS
    [plan] = stored(onboarded)["planned_sessions"]
    assert plan["kind"] == "strength"


@pytest.mark.parametrize(
    ("slot", "answer", "value", "reask"),
    [
        ("effort", "6", 6, None),
        ("effort", "about a 7 I guess", 7, None),
        ("effort", "15", None, "utter_invalid_effort"),
        ("effort", "0", None, "utter_invalid_effort"),  # effort is 1 to 10
        ("effort", "no idea", None, "utter_invalid_effort"),
        ("pain_score", "no pain", 0, None),
        ("pain_score", "2/10", 2, None),
        ("pain_score", "pain 15/10", None, "utter_invalid_pain_score"),
    ],
)
async def test_checkin_answers_are_scores_or_reasked(
    slot: str, answer: str, value: int | None, reask: str | None, form_tracker: FormTracker,
    dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
) -> None:
    events = await ValidateCheckinForm().run(dispatcher, form_tracker("checkin_form", slot, answer), domain)
    assert events == [SlotSet(slot, value)]
    assert said() == ([reask] if reask else [])


async def test_a_done_checkin_is_logged_and_the_scores_are_cleared(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("1", slots={"effort": 5, "pain_score": 1},
                           turns=[("I did my workout!", "checkin_done"), ("5", "inform")])
    events = await ActionLogCheckin().run(dispatcher, tracker, domain)
    assert events == [SlotSet("effort", None), SlotSet("pain_score", None)]
    m = messages()
    assert said() == [" ".join([m["checkin_done"]["first"].format(name="Ruth"), m["effort_easy"].format(rpe=5)])]
    [checkin] = stored(onboarded)["checkins"]
    assert (checkin["status"], checkin["rpe"], checkin["pain"]) == ("done", 5, 1)
    assert checkin["exercise_logs"]


async def test_a_partly_done_session_is_logged_as_partial(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("2", slots={"effort": 4, "pain_score": 2},
                           turns=[("I only did half of it", "checkin_done"), ("4", "inform")])
    await ActionLogCheckin().run(dispatcher, tracker, domain)
    assert said()[0].startswith(messages()["checkin_partial"])
    assert stored(onboarded)["checkins"][0]["status"] == "partial"


async def test_a_skip_is_logged_with_its_reason(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("my back was stiff", slots={"skip_reason": "my back was stiff"})
    assert await ActionLogSkip().run(dispatcher, tracker, domain) == [SlotSet("skip_reason", None)]
    assert said() == [messages()["skip_ack"].format(reason="my back was stiff")]
    [checkin] = stored(onboarded)["checkins"]
    assert (checkin["status"], checkin["skip_reason"]) == ("skipped", "my back was stiff")


@pytest.mark.parametrize(
    ("answer", "value", "reask"),
    [("6", 6, None), ("it's about a seven", 7, None), ("pain 15/10", None, "utter_invalid_pain_score"),
     # A slot cleared just before the form starts is validated too: no answer, not a pain of 0.
     (None, None, None)],
)
async def test_a_pain_score_is_read_or_reasked(
    answer: str, value: int | None, reask: str | None, form_tracker: FormTracker,
    dispatcher: CollectingDispatcher, domain: DomainDict, said: Said,
) -> None:
    events = await ValidatePainForm().run(dispatcher, form_tracker("pain_form", "pain_score", answer), domain)
    assert events == [SlotSet("pain_score", value)]
    assert said() == ([reask] if reask else [])


async def test_red_zone_knee_pain_is_logged_and_today_becomes_gentle(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker(
        "6", slots={"pain_score": 6, "body_part": None},
        turns=[("my knee is really sore today", "report_pain")],
    )
    events = await ActionHandlePain().run(dispatcher, tracker, domain)
    assert events == [SlotSet("pain_score", None), SlotSet("body_part", None)]
    [text] = said()
    assert text.startswith(messages()["pain_ack"]["red"].format(score=6, where="in your knee "))
    assert "\n\nGentle day — " in text
    data = stored(onboarded)
    [report] = data["symptom_reports"]
    assert (report["kind"], report["score"], report["body_part"]) == ("pain", 6, "knee")
    assert report["text_excerpt"] == "my knee is really sore today"  # the report, not the bare score
    assert data["planned_sessions"][0]["plan_json"]["kind"] == "gentle"


async def test_very_high_pain_alerts_the_coach(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    tracker = make_tracker("my back is a 9", "report_pain", slots={"pain_score": 9, "body_part": "back"})
    await ActionHandlePain().run(dispatcher, tracker, domain)
    assert [(a["kind"], a["detail"]) for a in stored(onboarded)["coach_alerts"]] == [("pain_high", "pain 9/10")]


async def test_fatigue_gives_a_short_session(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    events = await ActionHandleFatigue().run(dispatcher, make_tracker("I'm wiped out", "report_fatigue"), domain)
    assert events == []
    [text] = said()
    assert text.startswith(messages()["fatigue_ack"] + "\n\nShort session — ")
    assert stored(onboarded)["symptom_reports"][0]["text_excerpt"] == "I'm wiped out"


async def test_progress_is_text_and_a_chart_for_the_channel(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    await ActionProgress().run(dispatcher, make_tracker("/progress", "ask_progress"), domain)
    assert said() == [messages()["progress_none"], {"progress_chart": True}]

    checkin = make_tracker("1", slots={"effort": 5, "pain_score": 1}, turns=[("done", "checkin_done")])
    await ActionLogCheckin().run(CollectingDispatcher(), checkin, domain)
    dispatcher.messages.clear()
    assert await ActionProgress().run(dispatcher, make_tracker("/progress", "ask_progress"), domain) == []
    text, chart = said()
    assert text.startswith("Your progress, Ruth:\n")
    assert "• Sessions in the last 4 weeks: 1\n• Streak: 1 in a row" in text
    assert chart == {"progress_chart": True}
    assert default_services().plans.progress_chart_png(onboarded).startswith(b"\x89PNG")
