"""RedFlagGuard: the red-flag net at the end of the Rasa NLU pipeline.

It applies bot.nlp.safety_net to every message. A red flag comes out as the `red_flag` intent
with confidence 1.0 whatever DIET, the ResponseSelector or the FallbackClassifier said; a
grey-zone message comes out as `red_flag` too (the contract: a possible red flag is never
parsed as something else), with a lower confidence and a `safety_question` entity: the
dialogue rules for a red_flag with that entity ask one safety question first, the others run
the full red-flag flow (an entity, not a slot, so nothing lingers into the next turn). The
rules and the classifier are read when the model loads, so editing them needs no retraining.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_RETRIEVAL_INTENTS
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    RESPONSE_SELECTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.safety_net import RED_FLAG_INTENT, SafetyNet, SafetyVerdict, default_net

logger = logging.getLogger(__name__)

GUARD_KEY = "red_flag_guard"
ASK_ENTITY = "safety_question"
# A grey-zone message is a red_flag parse, but less sure than a confirmed one.
ASK_CONFIDENCE = 0.6


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RedFlagGuard(GraphComponent, IntentClassifier):
    """Forces the red_flag intent (confirmed, or ask first); place it last in the NLU."""

    def __init__(self, net: SafetyNet, fallback_threshold: float = 0.0) -> None:
        self._net = net
        self._fallback_threshold = fallback_threshold

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Below this, the intent left after a dismissed red_flag is a guess: ask instead (set it
        # to the FallbackClassifier's threshold, which ran before the red_flag was taken away).
        return {"fallback_threshold": 0.0}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagGuard:
        """Builds the net when the model is built or loaded (not trainable: nothing stored)."""
        return cls(default_net(), float(config.get("fallback_threshold", 0.0)))

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of each message the net flags."""
        for message in messages:
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            verdict = self._net.assess(message.get(TEXT), predicted)
            if verdict is None:
                continue
            if verdict.decision == "dismiss":
                self._dismiss(message, verdict)
            else:
                self._force_red_flag(message, verdict)
        return messages

    def _dismiss(self, message: Message, verdict: SafetyVerdict) -> None:
        """The intent classifier's red_flag, overruled (see SafetyNet.assess): the next intent,
        or "did you mean" when that one is too unsure to act on."""
        ranking = [e for e in message.get(INTENT_RANKING_KEY) or []
                   if e.get(INTENT_NAME_KEY) != RED_FLAG_INTENT]
        sure = ranking and float(ranking[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._fallback_threshold
        fallback = {INTENT_NAME_KEY: "nlu_fallback", PREDICTED_CONFIDENCE_KEY: self._fallback_threshold}
        message.set(INTENT, dict(ranking[0]) if sure else fallback, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(GUARD_KEY, {"rule": None, "kind": None, "decision": "dismiss", "layer": verdict.layer,
                                "score": round(verdict.score, 3), "overrode": RED_FLAG_INTENT},
                    add_to_output=True)
        logger.info("red-flag net: the intent classifier's red_flag dismissed")

    @staticmethod
    def _force_red_flag(message: Message, verdict: SafetyVerdict) -> None:
        confidence = 1.0 if verdict.decision == "red_flag" else ASK_CONFIDENCE
        red_flag = {INTENT_NAME_KEY: RED_FLAG_INTENT, PREDICTED_CONFIDENCE_KEY: confidence}
        previous = message.get(INTENT) or {}
        ranking = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) != RED_FLAG_INTENT
        ]
        message.set(INTENT, red_flag, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(red_flag), *ranking], add_to_output=True)
        # Without a prediction, no FAQ answer can be sent for this message.
        selector = message.get(RESPONSE_SELECTOR)
        if selector:
            kept = {
                RESPONSE_SELECTOR_RETRIEVAL_INTENTS: selector.get(
                    RESPONSE_SELECTOR_RETRIEVAL_INTENTS, []
                )
            }
            message.set(RESPONSE_SELECTOR, kept, add_to_output=True)
        if verdict.decision == "ask":
            text = str(message.get(TEXT) or "")
            ask = {"entity": ASK_ENTITY, "value": "ask", "start": 0, "end": len(text),
                   "extractor": "RedFlagGuard"}
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), ask], add_to_output=True)
        message.set(
            GUARD_KEY,
            {
                "rule": verdict.rule,
                "kind": verdict.kind,
                "decision": verdict.decision,
                "layer": verdict.layer,
                "score": round(verdict.score, 3),
                "overrode": previous.get(INTENT_NAME_KEY),
            },
            add_to_output=True,
        )
        # Rule id and decision only: never the client's words.
        logger.info("red-flag net: %s by %s (%s)", verdict.decision, verdict.layer, verdict.rule)
