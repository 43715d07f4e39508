"""The actions hand the client's message id to the service, so a message Rasa runs again after a
restart (same `message_id` in `latest_message`) writes nothing twice (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.coaching import ActionHandlePain, ActionLogCheckin, ActionLogSkip
from actions.safety import ActionRecordRedFlag, ActionRequestHuman
from bot.services import default_services
from tests.actions.conftest import action_event, user_event

if TYPE_CHECKING:
    from tests.actions.conftest import MakeTracker

Said = Callable[[], list[Any]]


def stored(chat_id: int) -> dict[str, Any]:
    return json.loads(default_services().privacy.export_json(chat_id))


async def _twice(action: Any, tracker: Any, domain: DomainDict) -> tuple[list[Any], list[Any]]:
    """Run the action twice on the same turn; what it said each time."""
    said = []
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        await action.run(dispatcher, tracker, domain)
        said.append([m["text"] or m["response"] for m in dispatcher.messages])
    return said[0], said[1]


async def test_a_checkin_turn_run_twice_is_logged_once(onboarded: int, make_tracker: MakeTracker,
                                                       domain: DomainDict) -> None:
    tracker = make_tracker("1", slots={"effort": 5, "pain_score": 1}, message_id="tg-500064",
                           turns=[("I did my workout!", "checkin_done"), ("5", "inform")])
    first, again = await _twice(ActionLogCheckin(), tracker, domain)
    assert first == again
    assert [c["source_message_id"] for c in stored(onboarded)["checkins"]] == ["tg-500064"]


async def test_a_skip_and_a_pain_report_run_twice_are_logged_once(onboarded: int, make_tracker: MakeTracker,
                                                                  domain: DomainDict) -> None:
    skip = make_tracker("busy day", slots={"skip_reason": "busy day"}, message_id="tg-1")
    await _twice(ActionLogSkip(), skip, domain)
    pain = make_tracker("my knee is a 4", "report_pain", slots={"pain_score": 4, "body_part": "knee"},
                        message_id="tg-2")
    first, again = await _twice(ActionHandlePain(), pain, domain)
    assert first == again
    data = stored(onboarded)
    assert [c["status"] for c in data["checkins"]] == ["skipped"]
    assert [(r["kind"], r["score"], r["source_message_id"]) for r in data["symptom_reports"]] == [
        ("pain", 4, "tg-2")]


async def test_a_red_flag_after_yes_is_tied_to_the_report_not_the_yes(
    onboarded: int, make_tracker: MakeTracker, domain: DomainDict
) -> None:
    events = [
        action_event("action_listen"),
        user_event("my back hurts, 8 out of 10", "red_flag",
                   [{"entity": "pain_score", "value": "8 out of 10"}], message_id="tg-70"),
        action_event("utter_ask_safety_check"),
        action_event("action_listen"),
        user_event("/affirm", "affirm", message_id="tg-71"),
    ]
    tracker = make_tracker("/affirm", "affirm", events=events, message_id="tg-71")
    await _twice(ActionRecordRedFlag(), tracker, domain)
    data = stored(onboarded)
    assert [(r["kind"], r["score"], r["body_part"], r["source_message_id"]) for r in data["symptom_reports"]] == [
        ("red_flag", 8, "back", "tg-70"), ("pain", 8, "back", "tg-70")]
    assert [a["kind"] for a in data["coach_alerts"]] == ["red_flag", "pain_high"]


async def test_a_request_for_a_person_run_twice_alerts_once(onboarded: int, make_tracker: MakeTracker,
                                                           domain: DomainDict) -> None:
    tracker = make_tracker("/request_human", "request_human", message_id="tg-80")
    first, again = await _twice(ActionRequestHuman(), tracker, domain)
    assert first == again == ["utter_human_handoff"]
    assert [a["kind"] for a in stored(onboarded)["coach_alerts"]] == ["human_request"]
