"""The safety question (issue 12): a high pain score or a grey-zone message asks "are you hurt?"
before anything else; "yes" records the red flag with the client's own words, "no" carries on
with the pain flow and is on record."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.coaching import ActionHandlePain, ActionTodaysWorkout
from actions.safety import (
    ActionRecordRedFlag,
    ActionSafetyCheckNo,
    reported_message,
    score_logged_before_question,
)
from bot.content.loader import messages
from bot.services import default_services
from bot.services.pain import onset_question_needed
from tests.actions.conftest import action_event, user_event

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker


def stored(chat_id: int) -> dict[str, Any]:
    return dict(json.loads(default_services().privacy.export_json(chat_id)))


def asked_after_logging(*turns: tuple[str, str], answer: tuple[str, str] = ("/deny", "deny")
                        ) -> list[dict[str, Any]]:
    """The events Rasa stores when the pain form took a score, action_handle_pain logged it and
    asked the safety question, and the client answered."""
    events = [e for text, intent in turns for e in (action_event("action_listen"), user_event(text, intent))]
    return [*events, action_event("pain_form"), action_event("action_handle_pain"),
            action_event("utter_ask_safety_check"), action_event("action_listen"), user_event(*answer)]


def test_a_score_from_an_earlier_message_is_not_this_reports(
    make_tracker: MakeTracker,
) -> None:
    """A number in any earlier message fills the pain_score slot (here an onboarding answer):
    after a red flag asked the question directly, the slot is not the report's score."""
    events = [action_event("action_listen"), user_event("2", "inform"), action_event("onboarding_form"),
              action_event("action_listen"), user_event("I fell on the ice and my wrist looks bent", "red_flag"),
              action_event("utter_ask_safety_check"), action_event("action_listen"), user_event("/affirm", "affirm")]
    tracker = make_tracker("/affirm", "affirm", slots={"pain_score": 2}, events=events)
    assert not score_logged_before_question(tracker)
    assert reported_message(tracker).pain_score is None
    logged = make_tracker("/deny", "deny", slots={"pain_score": 8},
                          events=asked_after_logging(("my knee hurts", "report_pain"), ("8", "inform")))
    assert score_logged_before_question(logged) and reported_message(logged).pain_score == 8


@pytest.mark.parametrize(
    ("score", "body_part", "asks"),
    [(8, "knee", True), (7, "knee", False), (10, None, True), (5, "back", True), (4, "back", False),
     (7, "hip", False)],
)
def test_which_scores_ask_first_come_from_rules_yml(score: int, body_part: str | None, asks: bool) -> None:
    assert onset_question_needed(score, body_part) is asks


async def test_8_of_10_back_pain_is_logged_then_asks_the_onset_question(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    tracker = make_tracker("pain 8/10", "inform", slots={"pain_score": 8, "body_part": None},
                           turns=[("my back hurts", "report_pain")])
    events = await ActionHandlePain().run(dispatcher, tracker, domain)
    assert events == [SlotSet("body_part", "back"), FollowupAction("utter_ask_safety_check")]
    assert dispatcher.messages == []  # the question is the only thing the client sees
    [report] = stored(onboarded)["symptom_reports"]
    assert (report["kind"], report["score"], report["body_part"]) == ("pain", 8, "back")
    assert [a["kind"] for a in stored(onboarded)["coach_alerts"]] == ["pain_high"]


async def test_no_after_a_logged_score_gives_todays_gentle_plan(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    # Today's plan was already made (a strength day) before the pain was reported.
    await ActionTodaysWorkout().run(CollectingDispatcher(), make_tracker("/today", "ask_todays_workout"), domain)
    await ActionHandlePain().run(
        CollectingDispatcher(),
        make_tracker("8", slots={"pain_score": 8, "body_part": "knee"},
                     turns=[("my knee is killing me", "report_pain")]), domain)
    answer = make_tracker("/deny", "deny", slots={"pain_score": 8, "body_part": "knee"},
                          events=asked_after_logging(("my knee is killing me", "report_pain"), ("8", "inform")))
    events = await ActionSafetyCheckNo().run(dispatcher, answer, domain)
    assert events == [SlotSet("pain_score", None), SlotSet("body_part", None)]
    [reply] = dispatcher.messages
    assert reply["text"].startswith(messages()["safety_check_no"])
    assert "Gentle day" in reply["text"]
    assert len(stored(onboarded)["symptom_reports"]) == 1  # logged once, before the question


async def test_no_to_a_grey_zone_message_with_a_score_logs_the_pain_with_the_answer(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    said = "slipped on the step yesterday, knee is a bit sore, maybe a 3"
    answer = make_tracker("no", "deny", turns=[(said, "red_flag")])
    answer.events[1]["parse_data"]["entities"] = [{"entity": "pain_score", "value": "a 3"}]
    await ActionSafetyCheckNo().run(dispatcher, answer, domain)
    [report] = stored(onboarded)["symptom_reports"]
    assert (report["kind"], report["score"], report["body_part"]) == ("pain", 3, "knee")
    assert "not an injury" in report["text_excerpt"]
    assert stored(onboarded)["coach_alerts"] == []


async def test_no_to_a_pain_without_a_score_hands_over_to_the_pain_form(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    """The form asks the 0-10 question, so a typed number is its answer (not a lone `inform`)."""
    answer = make_tracker("/deny", "deny", turns=[("my hip has been funny since I tripped", "red_flag")])
    events = await ActionSafetyCheckNo().run(dispatcher, answer, domain)
    assert SlotSet("body_part", "hip") in events
    assert events[-1] == FollowupAction("pain_form")
    assert len(dispatcher.messages) == 1 and dispatcher.messages[0]["response"] is None
    assert stored(onboarded)["symptom_reports"] == []


async def test_a_score_asked_after_no_does_not_ask_the_same_question_again(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    events = [
        action_event("action_listen"), user_event("my back went funny after I tripped", "red_flag"),
        action_event("utter_ask_safety_check"), action_event("action_listen"),
        user_event("/deny", "deny"), action_event("action_safety_check_no"),
        action_event("action_listen"), user_event("pain 6/10", "report_pain"), action_event("pain_form"),
    ]
    tracker = make_tracker("6", slots={"pain_score": 6, "body_part": "back"}, events=events)
    result = await ActionHandlePain().run(dispatcher, tracker, domain)
    assert result == [SlotSet("pain_score", None), SlotSet("body_part", None)]
    assert "Gentle day" in dispatcher.messages[0]["text"]


async def test_yes_records_the_message_that_raised_the_question_and_the_pain_alert(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    tracker = make_tracker("/affirm", "affirm", slots={"pain_score": 8, "body_part": "back"},
                           events=asked_after_logging(("my back hurts", "report_pain"), ("pain 8/10", "inform"),
                                                      answer=("/affirm", "affirm")))
    await ActionRecordRedFlag().run(dispatcher, tracker, domain)
    kinds = sorted((a["kind"], a["detail"]) for a in stored(onboarded)["coach_alerts"])
    assert kinds == [("pain_high", "pain 8/10"), ("red_flag", "my back hurts")]
    await ActionTodaysWorkout().run(dispatcher, make_tracker("/today", "ask_todays_workout"), domain)
    assert dispatcher.messages[-1]["text"].startswith("No exercise today")


async def test_a_red_flag_with_a_high_score_also_raises_the_pain_alert(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    tracker = make_tracker("my back hurts, 8 out of 10", "red_flag",
                           entities=[{"entity": "pain_score", "value": "8 out of 10"}])
    await ActionRecordRedFlag().run(dispatcher, tracker, domain)
    kinds = sorted(a["kind"] for a in stored(onboarded)["coach_alerts"])
    assert kinds == ["pain_high", "red_flag"]


async def test_a_check_in_while_a_red_flag_is_open_is_not_logged_as_training(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    from actions.coaching import ActionLogCheckin

    await ActionRecordRedFlag().run(CollectingDispatcher(), make_tracker("I fell and hit my head", "red_flag"), domain)
    tracker = make_tracker("1", slots={"effort": 5, "pain_score": 1}, turns=[("done", "checkin_done")])
    await ActionLogCheckin().run(dispatcher, tracker, domain)
    [reply] = dispatcher.messages
    assert "haven't logged it as a training session" in reply["text"] and "step up" not in reply["text"]
    assert stored(onboarded)["checkins"] == []
