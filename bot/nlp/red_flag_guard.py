"""RedFlagGuard: a deterministic safety net at the end of the Rasa NLU pipeline.

A message that matches a phrase in bot/content/red_flags.yml comes out as the `red_flag`
intent whatever DIET, the ResponseSelector or the FallbackClassifier said: red-flag recall
must not depend on a trained model. The rules are read when the model loads, so editing the
YAML needs no retraining.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_RETRIEVAL_INTENTS
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    RESPONSE_SELECTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlp import CONTENT_DIR

logger = logging.getLogger(__name__)

RED_FLAGS_FILE = CONTENT_DIR / "red_flags.yml"
RED_FLAG_INTENT = "red_flag"
GUARD_KEY = "red_flag_guard"


@dataclass(frozen=True)
class RedFlagRule:
    """Matches when one `any` regex is found, one `requires` regex too (if any), no `unless`."""

    id: str
    kind: str
    any_of: tuple[re.Pattern[str], ...]
    requires: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()

    def matches(self, text: str) -> bool:
        return (
            any(p.search(text) for p in self.any_of)
            and (not self.requires or any(p.search(text) for p in self.requires))
            and not any(p.search(text) for p in self.unless)
        )


@dataclass(frozen=True)
class RedFlagRules:
    """The rules file, compiled: spelling fixes and rules in file order."""

    spelling: dict[str, str]
    rules: tuple[RedFlagRule, ...]

    def normalise(self, text: str) -> str:
        """Lower case, no apostrophes, single spaces, typing slips fixed ("can't" -> "cant")."""
        text = text.lower().replace("’", "'").replace("'", "")
        words = re.findall(r"[a-z0-9]+", text)
        return " ".join(self.spelling.get(word, word) for word in words)

    def match(self, text: str | None) -> RedFlagRule | None:
        """The first rule the text matches, if any."""
        normalised = self.normalise(text or "")
        return next((rule for rule in self.rules if rule.matches(normalised)), None)


def _term_regex(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "(?:" + "|".join(value) + ")"


def _compile(regexes: list[str], terms: dict[str, str]) -> tuple[re.Pattern[str], ...]:
    def expand(regex: str) -> str:
        return re.sub(r"<(\w+)>", lambda m: terms.get(m.group(1), m.group(0)), regex)

    # Whole words only: "rest" must not match inside "interest".
    return tuple(re.compile(rf"(?<!\w)(?:{expand(regex)})(?!\w)") for regex in regexes)


def load_red_flag_rules(path: Path = RED_FLAGS_FILE) -> RedFlagRules:
    """Read and compile the rules file; a bad regex or a duplicate id fails loudly here."""
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    terms = {name: _term_regex(value) for name, value in data.get("terms", {}).items()}
    rules = tuple(
        RedFlagRule(
            id=entry["id"],
            kind=entry["kind"],
            any_of=_compile(entry["any"], terms),
            requires=_compile(entry.get("requires", []), terms),
            unless=_compile(entry.get("unless", []), terms),
        )
        for entry in data["rules"]
    )
    ids = [rule.id for rule in rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise ValueError(f"duplicate red-flag rule ids in {path}: {duplicates}")
    spelling = {str(k): str(v) for k, v in (data.get("spelling") or {}).items()}
    return RedFlagRules(spelling=spelling, rules=rules)


@cache
def _default_rules() -> RedFlagRules:
    return load_red_flag_rules()


def match_red_flag(text: str | None) -> str | None:
    """The id of the first red-flag rule `text` matches, or None."""
    rule = _default_rules().match(text)
    return rule.id if rule else None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RedFlagGuard(GraphComponent, IntentClassifier):
    """Forces the red_flag intent when a red-flag phrase matches; place it last in the NLU."""

    def __init__(self, rules: RedFlagRules) -> None:
        self._rules = rules

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagGuard:
        """Reads the rules when the model is built or loaded (not trainable: nothing stored)."""
        return cls(_default_rules())

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of each message that matches a red-flag rule."""
        for message in messages:
            rule = self._rules.match(message.get(TEXT))
            if rule is not None:
                self._force_red_flag(message, rule)
        return messages

    @staticmethod
    def _force_red_flag(message: Message, rule: RedFlagRule) -> None:
        red_flag = {INTENT_NAME_KEY: RED_FLAG_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
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
        message.set(
            GUARD_KEY,
            {"rule": rule.id, "kind": rule.kind, "overrode": previous.get(INTENT_NAME_KEY)},
            add_to_output=True,
        )
        # Rule id and kind only: never the client's words.
        logger.info("red-flag rule %s (%s) forced intent red_flag", rule.id, rule.kind)
