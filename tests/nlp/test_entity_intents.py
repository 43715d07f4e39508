"""Entities carry meaning (issue 11): a pain score with a body part is a pain report, an effort
score with a session a check-in, whatever the intent classifier said; questions stay questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.entity_intents import EntityIntentResolver


@pytest.fixture()
def resolver(tmp_path: Path) -> EntityIntentResolver:
    return EntityIntentResolver.create({}, LocalModelStorage(tmp_path), Resource("entity_intents"),
                                       ExecutionContext(GraphSchema({})))


def _parsed(text: str, intent: str, entities: list[str], ranking: list[str] | None = None) -> Message:
    message = Message(data={"text": text})
    ranked: list[dict[str, Any]] = [{"name": n, "confidence": 0.5} for n in [intent, *(ranking or [])]]
    message.set("intent", dict(ranked[0]), add_to_output=True)
    message.set("intent_ranking", ranked, add_to_output=True)
    message.set("entities", [{"entity": e, "value": "x", "start": 0, "end": 1} for e in entities],
                add_to_output=True)
    return message


@pytest.mark.parametrize("intent", ["inform", "nlu_fallback", "faq", "report_fatigue"])
def test_a_pain_score_with_a_body_part_is_a_pain_report(resolver: EntityIntentResolver, intent: str) -> None:
    [message] = resolver.process([_parsed("my knee is really sore today, about 7/10", intent,
                                          ["body_part", "pain_score"])])
    assert message.get("intent") == {"name": "report_pain", "confidence": 0.8}
    assert message.get("intent_ranking")[0]["name"] == "report_pain"
    assert message.get("entity_intent") == {"rule": "pain_score_with_body_part", "overrode": intent}


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [("is it ok to train if my knee is a 4?", "faq", ["body_part", "pain_score"]),
     ("did my exercises, knee about a 3 after", "checkin_done", ["body_part", "pain_score"]),
     ("my knee hurts", "report_pain", ["body_part"]),
     ("about a 7", "inform", ["pain_score"]),
     ("I fell and my wrist is 8/10", "red_flag", ["body_part", "pain_score"])],
)
def test_other_messages_keep_their_intent(resolver: EntityIntentResolver, text: str, intent: str,
                                          entities: list[str]) -> None:
    [message] = resolver.process([_parsed(text, intent, entities)])
    assert message.get("intent")["name"] == intent
    assert message.get("entity_intent") is None


def test_an_effort_score_is_a_check_in_when_the_classifier_thought_of_one(resolver: EntityIntentResolver) -> None:
    [settled] = resolver.process([_parsed("got through it all, effort 6, legs like jelly", "report_fatigue",
                                          ["effort"], ["checkin_done", "greet"])])
    assert settled.get("intent")["name"] == "checkin_done"
    [left] = resolver.process([_parsed("effort 6", "inform", ["effort"], ["greet", "thank", "deny"])])
    assert left.get("intent")["name"] == "inform"
