"""RedFlagGuard as Rasa runs it: a red flag wins over whatever the classifiers said."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.red_flag_guard import RedFlagGuard


@pytest.fixture()
def guard(tmp_path: Path) -> RedFlagGuard:
    return RedFlagGuard.create(
        RedFlagGuard.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("red_flag_guard"),
        ExecutionContext(GraphSchema({})),
    )


def _classified(text: str, intent: str = "greet", confidence: float = 0.9) -> Message:
    """A message as DIET, the ResponseSelector and the FallbackClassifier leave it."""
    message = Message(data={"text": text})
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "faq", "confidence": 0.06},
        {"name": "red_flag", "confidence": 0.04},
    ]
    message.set("intent", dict(ranking[0]), add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)
    message.set(
        "response_selector",
        {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "responses": [{"text": "Strength training is safe for most people..."}],
                    "confidence": 0.8,
                    "intent_response_key": "faq/is_safe",
                    "utter_action": "utter_faq/is_safe",
                },
                "ranking": [{"intent_response_key": "faq/is_safe", "confidence": 0.8}],
            },
        },
        add_to_output=True,
    )
    return message


def test_registered_as_an_untrainable_intent_classifier() -> None:
    registered = DefaultV1Recipe._from_registry("bot.nlp.red_flag_guard.RedFlagGuard")
    assert registered.clazz is RedFlagGuard
    assert registered.types == {DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER}
    assert registered.is_trainable is False


def test_a_red_flag_overrides_a_confident_prediction(guard: RedFlagGuard) -> None:
    [message] = guard.process([_classified("hi coach, I fell and now my hip hurts when I stand")])
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    assert message.get("intent_ranking") == [
        {"name": "red_flag", "confidence": 1.0},
        {"name": "greet", "confidence": 0.9},
        {"name": "faq", "confidence": 0.06},
    ]
    verdict = message.get("red_flag_guard")
    assert {k: verdict[k] for k in ("rule", "kind", "decision", "layer", "overrode")} == {
        "rule": "fall_with_injury", "kind": "fall_injury", "decision": "red_flag",
        "layer": "rules", "overrode": "greet",
    }
    assert 0.0 <= verdict["score"] <= 1.0
    assert not any(e["entity"] == "safety_question" for e in message.get("entities") or [])


def test_a_red_flag_clears_the_faq_answer(guard: RedFlagGuard) -> None:
    [message] = guard.process(
        [_classified("is it safe to exercise with chest pain?", intent="faq", confidence=0.95)]
    )
    assert message.get("intent")["name"] == "red_flag"
    assert message.get("response_selector") == {"all_retrieval_intents": ["faq"]}


def test_a_red_flag_overrides_the_nlu_fallback(guard: RedFlagGuard) -> None:
    [message] = guard.process([_classified("cant feel my legs", "nlu_fallback", 0.45)])
    assert message.get("intent")["name"] == "red_flag"
    assert message.get("red_flag_guard")["overrode"] == "nlu_fallback"


def test_the_override_is_part_of_the_parse_output(guard: RedFlagGuard) -> None:
    [message] = guard.process([_classified("passed out in the kitchen")])
    output: dict[str, Any] = message.as_dict(only_output_properties=True)
    assert output["intent"]["name"] == "red_flag"
    assert output["red_flag_guard"]["rule"] == "fainting"
    assert "faq" not in output["response_selector"]


def test_a_message_with_no_intent_yet_still_gets_red_flag(guard: RedFlagGuard) -> None:
    [message] = guard.process([Message(data={"text": "chest pain"})])
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    assert message.get("intent_ranking") == [{"name": "red_flag", "confidence": 1.0}]


def test_a_grey_zone_message_is_a_red_flag_that_asks_first(guard: RedFlagGuard) -> None:
    [message] = guard.process([_classified("sudden pain in my shoulder when I reached up",
                                           "report_pain", 0.8)])
    assert message.get("intent") == {"name": "red_flag", "confidence": 0.6}
    assert message.get("red_flag_guard")["decision"] == "ask"
    assert message.get("red_flag_guard")["layer"] == "ask_rules"
    [ask] = [e for e in message.get("entities") if e["entity"] == "safety_question"]
    assert ask["value"] == "ask"


def test_the_intent_classifier_alone_saying_red_flag_asks_first(guard: RedFlagGuard) -> None:
    [message] = guard.process([_classified("feeling a bit off today", "red_flag", 0.7)])
    assert message.get("red_flag_guard")["decision"] == "ask"
    assert message.get("red_flag_guard")["layer"] in ("intent", "classifier")


@pytest.mark.parametrize(
    "text",
    ["hello coach", "I'm scared I'll fall", "my back is a bit sore after yesterday",
     "is it safe after a fracture"],
)
def test_other_messages_are_untouched(guard: RedFlagGuard, text: str) -> None:
    message = _classified(text)
    before = copy.deepcopy(message.data)
    [after] = guard.process([message])
    assert after.data == before
    assert after.get("red_flag_guard") is None


def test_each_message_of_a_batch_is_judged_on_its_own(guard: RedFlagGuard) -> None:
    messages = guard.process([_classified("hello"), _classified("blacked out"), _classified("bye")])
    assert [m.get("intent")["name"] for m in messages] == ["greet", "red_flag", "greet"]


USUAL_ACHE = "sciatica acting up again down the back of my leg, its my usual thing not anything new"


def _red_flag_then(second: str, confidence: float) -> Message:
    """DIET said red_flag; the next intent in its ranking has `confidence`."""
    message = _classified(USUAL_ACHE, "red_flag", 0.5)
    message.set("intent_ranking", [{"name": "red_flag", "confidence": 0.5},
                                   {"name": second, "confidence": confidence}], add_to_output=True)
    return message


@pytest.mark.parametrize(("second", "confidence", "left"), [
    ("report_pain", 0.8, "report_pain"),
    # A guess DIET was never sure of (here a reminders intent for sciatica) is not acted on.
    ("resume_reminders", 0.31, "nlu_fallback"),
])
def test_a_dismissed_red_flag_leaves_the_next_intent_only_when_it_is_sure(
    tmp_path: Path, second: str, confidence: float, left: str
) -> None:
    guard = RedFlagGuard.create({"fallback_threshold": 0.45}, LocalModelStorage(tmp_path),
                                Resource("red_flag_guard"), ExecutionContext(GraphSchema({})))
    [message] = guard.process([_red_flag_then(second, confidence)])
    assert message.get("red_flag_guard")["decision"] == "dismiss"
    assert message.get("intent")["name"] == left
    assert all(e["name"] != "red_flag" for e in message.get("intent_ranking"))


@pytest.mark.parametrize(("text", "flagged"), [
    ("my back is sore, nothing awful but I notice it, like a 3", False),
    ("no sharp pain in my back, just stiff from the car ride", False),
    ("sudden awful pain in my back when I bent down", True),
    ("my back is awful since this morning, I can hardly stand", True),
])
def test_a_denied_severe_word_about_the_back_is_not_a_red_flag(guard: RedFlagGuard, text: str,
                                                              flagged: bool) -> None:
    [message] = guard.process([_classified(text, "report_pain", 0.9)])
    assert (message.get("intent")["name"] == "red_flag") is flagged, message.get("red_flag_guard")
