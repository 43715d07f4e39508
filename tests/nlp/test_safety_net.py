"""The red-flag net as one decision: phrase rules, classifier and grey zone in clinical order,
measured on the independent challenge set (tests/red_flags_challenge.yml) with the issue's bars."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlp.safety_net import default_net

CHALLENGE = Path(__file__).resolve().parents[1] / "red_flags_challenge.yml"

# Issue 12, "Why": each went somewhere else before.
ISSUE_EXAMPLES = [
    "I can barely walk after falling",
    "my hip hurts so much I can't walk",
    "My hip has hurt ever since I fell on Monday",
    "my back is in agony",
    "I got up from bed and my back is agony",
    "my leg is weak since this morning",
    "I'm on the floor",
    "my arm looks bent",
    "new back pain that won't go away",
]


@pytest.mark.parametrize("text", ISSUE_EXAMPLES)
def test_the_issue_examples_are_full_red_flags(text: str) -> None:
    verdict = default_net().assess(text)
    assert verdict is not None and verdict.decision == "red_flag"


@pytest.mark.parametrize(
    "text",
    ["what should I do if I fall and can't get up?",
     "my husband fell on the ice and they think his hip is broken",
     "heard a pop in my knee during the squats but it didn't hurt at all"],
)
def test_doubt_caps_a_matching_rule_at_the_question_or_less(text: str) -> None:
    verdict = default_net().assess(text)
    assert verdict is None or verdict.decision == "ask"


@pytest.mark.parametrize(
    "text",
    ["I fell yesterday but it didn't hurt", "I fell but it did not hurt, just a bit shaken", "I had a fall, no pain"],
)
def test_a_fall_of_their_own_gets_the_question_even_without_pain(text: str) -> None:
    """In brittle bones a fracture can hurt little at first: "no pain" does not dismiss a fall."""
    verdict = default_net().assess(text, predicted_intent="checkin_done")
    assert verdict is not None and verdict.decision == "ask"


def test_the_intent_classifier_alone_saying_red_flag_is_never_ignored() -> None:
    verdict = default_net().assess("hello", predicted_intent="red_flag")
    assert verdict is not None and verdict.decision == "ask"


@pytest.fixture(scope="module")
def challenge() -> dict[str, list[dict[str, str]]]:
    return dict(yaml.safe_load(CHALLENGE.read_text(encoding="utf-8")))


def test_the_challenge_set_is_big_enough(challenge: dict[str, list[dict[str, str]]]) -> None:
    assert len(challenge["red_flags"]) >= 150 and len(challenge["traps"]) >= 150


def test_every_red_flag_of_the_challenge_set_is_caught(challenge: dict[str, list[dict[str, str]]]) -> None:
    net = default_net()
    missed = [item["text"] for item in challenge["red_flags"] if net.assess(item["text"]) is None]
    assert missed == []


def test_traps_rarely_stop_training_and_seldom_get_the_question(
    challenge: dict[str, list[dict[str, str]]]
) -> None:
    net = default_net()
    verdicts = [net.assess(item["text"]) for item in challenge["traps"]]
    full = sum(1 for v in verdicts if v is not None and v.decision == "red_flag")
    asked = sum(1 for v in verdicts if v is not None and v.decision == "ask")
    assert full / len(verdicts) <= 0.05
    assert asked / len(verdicts) <= 0.15
