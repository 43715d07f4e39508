"""Entities carry meaning: a Rasa graph component that settles the intent from what a message
names, when the classifier's guess says otherwise.

DIET learns intents from words; a real client's "knee's been grumbling all day, maybe a 6"
looks like nothing it was trained on, but the entity ruler finds a body part and a pain score
in it every time. The rules live in bot/content/entity_intents.yml. Placed after the
FallbackClassifier (so an unsure parse with clear entities is rescued) and before the RedFlagGuard
(so a red flag always wins).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.content.loader import CONTENT_DIR, read_yaml

logger = logging.getLogger(__name__)
RULES_FILE = CONTENT_DIR / "entity_intents.yml"
RESOLVER_KEY = "entity_intent"


@dataclass(frozen=True)
class EntityIntentRule:
    id: str
    entities: frozenset[str]
    intent: str
    keep: frozenset[str]
    keep_questions: bool
    ranked_within: int | None


@dataclass(frozen=True)
class EntityIntentRules:
    rules: tuple[EntityIntentRule, ...]
    confidence: float
    question_words: frozenset[str]

    def settle(self, text: str, entities: set[str], intent: str | None,
               ranking: list[str]) -> EntityIntentRule | None:
        """The rule that settles this message's intent, or None to leave the classifier's."""
        for rule in self.rules:
            if not rule.entities <= entities or intent in rule.keep:
                continue
            if rule.keep_questions and self._is_question(text):
                continue
            if rule.ranked_within is not None and rule.intent not in ranking[: rule.ranked_within + 1]:
                continue
            return rule
        return None

    def _is_question(self, text: str) -> bool:
        words = re.findall(r"[a-z']+", text.lower())
        return "?" in text or bool(words and words[0] in self.question_words)


def load_entity_intent_rules(path: Path = RULES_FILE) -> EntityIntentRules:
    data = read_yaml(path)
    rules = tuple(
        EntityIntentRule(
            id=r["id"], entities=frozenset(r["entities"]), intent=r["intent"],
            keep=frozenset(r.get("keep", [])), keep_questions=bool(r.get("keep_questions")),
            ranked_within=r.get("ranked_within"),
        )
        for r in data["rules"]
    )
    return EntityIntentRules(rules, float(data["confidence"]), frozenset(data["question_words"]))


@cache
def default_entity_intent_rules() -> EntityIntentRules:
    return load_entity_intent_rules()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EntityIntentResolver(GraphComponent, IntentClassifier):
    """Sets the intent a message's entities settle (bot/content/entity_intents.yml)."""

    def __init__(self, rules: EntityIntentRules) -> None:
        self._rules = rules

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> EntityIntentResolver:
        return cls(default_entity_intent_rules())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = {str(e.get("entity")) for e in message.get(ENTITIES) or []}
            if not entities:
                continue
            current = message.get(INTENT) or {}
            ranking = [str(e.get(INTENT_NAME_KEY)) for e in message.get(INTENT_RANKING_KEY) or []]
            rule = self._rules.settle(str(message.get(TEXT) or ""), entities,
                                      current.get(INTENT_NAME_KEY), ranking)
            if rule is not None:
                self._set(message, rule, current)
        return messages

    def _set(self, message: Message, rule: EntityIntentRule, current: dict[str, Any]) -> None:
        confidence = max(float(current.get(PREDICTED_CONFIDENCE_KEY) or 0.0), self._rules.confidence)
        settled = {INTENT_NAME_KEY: rule.intent, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get(INTENT_NAME_KEY) != rule.intent]
        message.set(INTENT, settled, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(settled), *ranking], add_to_output=True)
        message.set(RESOLVER_KEY, {"rule": rule.id, "overrode": current.get(INTENT_NAME_KEY)},
                    add_to_output=True)
        logger.debug("entity rule %s set intent %s", rule.id, rule.intent)
