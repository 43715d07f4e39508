"""Every entity annotated in the NLU data (data/) is found by the entity ruler (same label,
overlapping span), and what the ruler finds there parses: DIET learns no entities, so the
annotations document what the ruler and the parsers deliver to the forms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.data import is_nlu_file
from rasa.shared.nlu.training_data.loading import load_data
from spacy.language import Language

from bot.nlp.parsing import (
    parse_body_part,
    parse_effort,
    parse_pain_score,
    parse_time,
    parse_weekdays,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PARSERS: dict[str, Callable[[str], Any]] = {
    "pain_score": parse_pain_score,
    "effort": parse_effort,
    "body_part": parse_body_part,
    "time": parse_time,
    "weekday": parse_weekdays,
}


def _annotated_examples() -> list[tuple[str, list[tuple[str, int, int]]]]:
    nlu_files = [path for path in sorted(DATA_DIR.rglob("*.yml")) if is_nlu_file(str(path))]
    examples = []
    for path in nlu_files:
        for message in load_data(str(path)).training_examples:
            entities = [(e["entity"], e["start"], e["end"]) for e in message.get("entities") or []]
            if entities:
                examples.append((message.get("text"), entities))
    return examples


ANNOTATED = _annotated_examples()


def test_the_training_data_has_entity_annotations() -> None:
    assert len(ANNOTATED) >= 50


@pytest.mark.parametrize(("text", "entities"), ANNOTATED, ids=[text for text, _ in ANNOTATED])
def test_ruler_finds_each_annotated_entity(
    nlp: Language, text: str, entities: list[tuple[str, int, int]]
) -> None:
    found = [(ent.label_, ent.start_char, ent.end_char) for ent in nlp(text).ents]
    missing = [
        (label, text[start:end])
        for label, start, end in entities
        if not any(
            found_label == label and found_start < end and start < found_end
            for found_label, found_start, found_end in found
        )
    ]
    assert missing == [], f"found only {[(lbl, text[s:e]) for lbl, s, e in found]}"
    for ent in nlp(text).ents:
        if ent.label_ in PARSERS:
            assert PARSERS[ent.label_](ent.text) not in (None, ()), (ent.label_, ent.text)
