"""Red flags, asking for a person, and the fallback that offers one after two misses in a row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.coaching import ActionTodaysWorkout
from actions.safety import ActionFallback, ActionRecordRedFlag, ActionRequestHuman
from bot.services import default_services

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker

Said = Callable[[], list[Any]]
CHAT = 5_000_000_077


def alerts(chat_id: int) -> list[tuple[str, str]]:
    exported = json.loads(default_services().privacy.export_json(chat_id))
    return [(a["kind"], a["detail"]) for a in exported["coach_alerts"]]


async def test_a_red_flag_alerts_the_clinic_and_stops_todays_workout(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    flag = make_tracker("I fell and heard a crack in my back", "red_flag")
    events = await ActionRecordRedFlag().run(dispatcher, flag, domain)
    assert events == [SlotSet("pain_score", None), SlotSet("body_part", None)]
    assert said() == []  # utter_red_flag comes from Rasa itself, so it arrives even if we are down
    assert alerts(onboarded) == [("red_flag", "I fell and heard a crack in my back")]

    await ActionTodaysWorkout().run(dispatcher, make_tracker("what do I do today?", "ask_todays_workout"), domain)
    [text] = said()
    assert text.startswith("No exercise today — ")
    assert dispatcher.messages[0]["buttons"] == []


async def test_a_red_flag_before_onboarding_still_reaches_the_clinic(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    await ActionRecordRedFlag().run(dispatcher, make_tracker("chest pain", "red_flag"), domain)
    assert alerts(CHAT) == [("red_flag", "chest pain")]


async def test_asking_for_a_person_alerts_the_clinic_and_says_so(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("can I talk to a real person", "request_human")
    events = await ActionRequestHuman().run(dispatcher, tracker, domain)
    assert events == []
    assert said() == ["utter_human_handoff"]
    assert alerts(CHAT) == [("human_request", "can I talk to a real person")]


async def test_one_miss_gets_the_default_help(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("blorp", "nlu_fallback", turns=[("hi", "greet")])
    assert await ActionFallback().run(dispatcher, tracker, domain) == []
    assert said() == ["utter_default"]


async def test_two_misses_in_a_row_offer_a_person(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("zzz qqq", "nlu_fallback", events=[
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "blorp", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "action", "name": "action_fallback"},
        {"event": "bot", "text": "Sorry, I didn't get that."},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "zzz qqq", "parse_data": {"intent": {"name": "nlu_fallback"}}},
    ])
    await ActionFallback().run(dispatcher, tracker, domain)
    assert said() == ["utter_offer_human"]


async def test_a_miss_after_an_understood_message_starts_counting_again(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    tracker = make_tracker("zzz qqq", "nlu_fallback", events=[
        {"event": "user", "text": "blorp", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "action", "name": "action_fallback"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hello", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "action", "name": "utter_greet"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "zzz qqq", "parse_data": {"intent": {"name": "nlu_fallback"}}},
    ])
    await ActionFallback().run(dispatcher, tracker, domain)
    assert said() == ["utter_default"]


async def test_an_unsure_parse_offers_the_likeliest_meanings_as_buttons(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    tracker = make_tracker("did the lakewalk thing and my hip was grumbly", "nlu_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45}, {"name": "checkin_done", "confidence": 0.4},
        {"name": "report_pain", "confidence": 0.3}, {"name": "greet", "confidence": 0.1},
        {"name": "faq", "confidence": 0.1}, {"name": "ask_progress", "confidence": 0.05},
    ]
    tracker.latest_message["response_selector"] = {
        "faq": {"ranking": [{"intent_response_key": "faq/walking_enough", "confidence": 0.5}]}}
    await ActionFallback().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == "I'm not sure I understood. Did you mean one of these?"
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Log a session", "/checkin_done"), ("Report pain", "/report_pain"),
        ("Is walking enough?", "is walking enough for my bones?"), ("Something else", "/ask_capabilities"),
    ]


async def test_hello_from_someone_without_a_profile_offers_onboarding(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    from actions.safety import ActionGreet

    await ActionGreet().run(dispatcher, make_tracker("hi", "greet"), domain)
    assert said() == ["utter_greet_new_client"]
    assert domain["responses"]["utter_greet_new_client"][0]["buttons"] == [
        {"title": "Let's start", "payload": "/start"}]


async def test_hello_from_an_onboarded_client_is_the_usual_greeting(
    onboarded: int, make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    from actions.safety import ActionGreet

    await ActionGreet().run(dispatcher, make_tracker("hi", "greet"), domain)
    assert said() == ["utter_greet"]


async def test_an_faq_answer_only_when_the_selector_is_sure_of_the_topic(
    make_tracker: MakeTracker, dispatcher: CollectingDispatcher, domain: DomainDict, said: Said
) -> None:
    from actions.safety import ActionAnswerFaq

    sure = make_tracker("is walking enough for my bones", "faq")
    sure.latest_message["response_selector"] = {"faq": {"response": {
        "intent_response_key": "faq/walking_enough", "confidence": 0.93}, "ranking": []}}
    await ActionAnswerFaq().run(dispatcher, sure, domain)
    assert said() == ["utter_faq/walking_enough"]

    unsure = make_tracker("went round the lake with the dog and did my bands", "faq")
    unsure.latest_message["intent_ranking"] = [{"name": "faq", "confidence": 0.6},
                                               {"name": "checkin_done", "confidence": 0.3}]
    unsure.latest_message["response_selector"] = {"faq": {
        "response": {"intent_response_key": "faq/walking_enough", "confidence": 0.31},
        "ranking": [{"intent_response_key": "faq/walking_enough", "confidence": 0.31}]}}
    fresh = CollectingDispatcher()
    await ActionAnswerFaq().run(fresh, unsure, domain)
    [message] = fresh.messages
    assert [b["payload"] for b in message["buttons"]] == [
        "is walking enough for my bones?", "/checkin_done", "/ask_capabilities"]
