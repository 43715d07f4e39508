"""The red-flag net's decision: the phrase rules, the classifier and the grey zone, in one place.

Order matters and is the clinical priority: a phrase rule or a confident classifier makes a red
flag (stop, get checked, alert the clinic); a grey-zone cue or an unsure classifier makes the
coach ask one safety question first; otherwise the message is left to the intent classifier.
Plain Python: the Rasa component (red_flag_guard.py) only applies the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from bot.nlp.red_flag_classifier import RedFlagClassifier, default_classifier
from bot.nlp.red_flag_rules import RedFlagRules, default_rules

# "dismiss": the intent classifier said red_flag, but no rule matched, the red-flag classifier
# finds it unlikely and the words cast doubt ("what if I faint", "my wife fell"): not a red flag.
Decision = Literal["red_flag", "ask", "dismiss"]
RED_FLAG_INTENT = "red_flag"


@dataclass(frozen=True)
class SafetyVerdict:
    """What the net decided and which layer decided it (rule ids and kinds, never the words)."""

    decision: Decision
    layer: Literal["rules", "classifier", "ask_rules", "intent"]
    rule: str | None
    kind: str | None
    score: float


class SafetyNet:
    """The three layers and the thresholds that join them (red_flags.yml `decision`)."""

    def __init__(self, rules: RedFlagRules, classifier: RedFlagClassifier) -> None:
        self.rules = rules
        self.classifier = classifier
        self._settings = {k: float(v) for k, v in (rules.settings or {}).items()}

    def assess(self, text: str | None, predicted_intent: str | None = None) -> SafetyVerdict | None:
        """The verdict for one message; None when it is not a safety matter (and the intent
        classifier did not say red_flag).

        A doubt (a "what if", someone else, "it doesn't hurt", yesterday's push-ups) caps a
        match at the safety question, and then only when the classifier agrees it is likely.
        """
        settings = self._settings
        views = self.rules.views(text)
        rule = self.rules.match_in(views)
        score = self.classifier.score_views(views)
        doubt = self.rules.doubt_in(views)
        likely = score >= settings["classifier_ask_min"]
        if rule is not None and doubt is None:
            return SafetyVerdict("red_flag", "rules", rule.id, rule.kind, score)
        if score >= settings["classifier_red_flag_min"] and doubt is None:
            return SafetyVerdict("red_flag", "classifier", None, None, score)
        if rule is not None and likely:
            return SafetyVerdict("ask", "rules", rule.id, rule.kind, score)
        ask = self.rules.ask_in(views, doubted=doubt is not None and not likely)
        if ask is not None:
            return SafetyVerdict("ask", "ask_rules", ask.id, ask.kind, score)
        if likely and (doubt is None or score >= settings["classifier_red_flag_min"]):
            return SafetyVerdict("ask", "classifier", None, None, score)
        if predicted_intent == RED_FLAG_INTENT and settings.get("intent_red_flag_asks", 1.0):
            decision: Decision = "dismiss" if doubt is not None else "ask"
            return SafetyVerdict(decision, "intent", None, None, score)
        return None


@cache
def default_net() -> SafetyNet:
    return SafetyNet(default_rules(), default_classifier())
