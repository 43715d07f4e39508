"""The local spaCy pipeline: builds quickly and identically, loads anywhere, finds our entities."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from bot.nlp.build_pipeline import LABELS, PIPELINE_NAME, build_pipeline
from bot.nlp.parsing import (
    parse_body_part,
    parse_effort,
    parse_pain_score,
    parse_time,
    parse_weekdays,
)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_command_line_writes_a_complete_spacy_package(pipeline_dir: Path) -> None:
    meta = json.loads((pipeline_dir / "meta.json").read_text())
    assert meta["name"] == PIPELINE_NAME
    assert meta["lang"] == "en"
    assert meta["pipeline"] == ["lemmatizer", "entity_ruler"]
    assert sorted(meta["labels"]["entity_ruler"]) == sorted(LABELS)
    assert (pipeline_dir / "config.cfg").is_file()
    assert (pipeline_dir / "lemmatizer" / "lookups" / "lookups.bin").is_file()


def test_the_build_is_quick_and_byte_for_byte_repeatable(
    pipeline_dir: Path, tmp_path: Path
) -> None:
    started = time.perf_counter()
    build_pipeline(tmp_path / "again")
    assert time.perf_counter() - started < 10
    assert _files(tmp_path / "again") == _files(pipeline_dir)


def test_a_rebuild_replaces_the_folder_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "pipeline"
    target.mkdir()
    (target / "stale.txt").write_text("from an older build")
    build_pipeline(target)
    assert not (target / "stale.txt").exists()
    assert (target / "meta.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["pipeline"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o755)


def test_lemmas_need_no_lookups_package_at_run_time(
    pipeline_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "spacy_lookups_data", None)  # import now fails
    # Rasa's SpacyNLP lower-cases text before lemmas are taken (case_sensitive: false).
    doc = spacy.load(pipeline_dir)("squats were hurting my knees and feet")
    assert [t.lemma_ for t in doc] == ["squat", "be", "hurt", "my", "knee", "and", "foot"]


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("squats", "squat"), ("hurting", "hurt"), ("knees", "knee"), ("feet", "foot"),
     ("fell", "fall"), ("exercises", "exercise"), ("lifted", "lift"), ("walked", "walk")],
)
def test_lookup_lemmas(nlp: Language, word: str, lemma: str) -> None:
    assert nlp(word)[0].lemma_ == lemma


ENTITY_CASES = [
    ("my pain is 6/10", [("pain_score", "pain is 6/10")]),
    ("6 out of 10 today", [("pain_score", "6 out of 10")]),
    ("pain is a 7", [("pain_score", "pain is a 7")]),
    ("pain 4", [("pain_score", "pain 4")]),
    ("about a 3", [("pain_score", "about a 3")]),
    ("it hurts like a 5", [("pain_score", "hurts like a 5")]),
    ("my knee hurts a 4", [("body_part", "knee"), ("pain_score", "hurts a 4")]),
    ("pain level is about a seven", [("pain_score", "pain level is about a seven")]),
    ("no pain at all", [("pain_score", "no pain")]),
    ("Pain:6", [("pain_score", "Pain:6")]),
    ("15/10 honestly", [("pain_score", "15/10")]),
    ("rpe 6", [("effort", "rpe 6")]),
    ("RPE 6", [("effort", "RPE 6")]),
    ("effort 7/10", [("effort", "effort 7/10")]),
    ("effort was an 8", [("effort", "effort was an 8")]),
    ("effort 7 out of 10, pain 2", [("effort", "effort 7 out of 10"), ("pain_score", "pain 2")]),
    ("7/10 effort", [("effort", "7/10 effort")]),
    ("my knees ache", [("body_part", "knees")]),
    ("pain in my lower back", [("body_part", "lower back")]),
    ("my back is sore", [("body_part", "my back")]),
    ("Back hurts today", [("body_part", "Back")]),
    ("sudden back pain 9/10", [("body_part", "sudden back"), ("pain_score", "pain 9/10")]),
    ("the upper back and neck", [("body_part", "upper back"), ("body_part", "neck")]),
    ("my WRIST and shoulder", [("body_part", "WRIST"), ("body_part", "shoulder")]),
    ("sore feet and a stiff ankle", [("body_part", "feet"), ("body_part", "ankle")]),
    ("my spine and ribs", [("body_part", "spine"), ("body_part", "ribs")]),
    ("legs and arms", [("body_part", "legs"), ("body_part", "arms")]),
    ("did my sit-to-stands", [("exercise", "sit-to-stands")]),
    ("sit to stand and squats", [("exercise", "sit to stand"), ("exercise", "squats")]),
    ("Step-ups then wall push-ups", [("exercise", "Step-ups"), ("exercise", "wall push-ups")]),
    ("pushups and rows", [("exercise", "pushups"), ("exercise", "rows")]),
    ("hinge, deadlift", [("exercise", "hinge"), ("exercise", "deadlift")]),
    ("a farmer carry", [("exercise", "farmer carry")]),
    ("heel raises, calf raise", [("exercise", "heel raises"), ("exercise", "calf raise")]),
    ("balance: tandem stance", [("exercise", "balance"), ("exercise", "tandem stance")]),
    ("plank, bird dog, wall angels", [
        ("exercise", "plank"), ("exercise", "bird dog"), ("exercise", "wall angels")]),
    ("went walking", [("exercise", "walking")]),
    ("remind me at 7am", [("time", "at 7am")]),
    ("7 am please", [("time", "7 am")]),
    ("7:30 works", [("time", "7:30")]),
    ("18:30", [("time", "18:30")]),
    ("7.30pm", [("time", "7.30pm")]),
    ("at 7:30 pm", [("time", "at 7:30 pm")]),
    ("at noon", [("time", "noon")]),
    ("mornings are best", [("time", "mornings")]),
    ("in the evenings", [("time", "in the evenings")]),
    ("after lunch", [("time", "after lunch")]),
    ("at night", [("time", "at night")]),
    ("8 in the morning", [("time", "8 in the morning")]),
    ("at 8 o'clock", [("time", "at 8 o'clock")]),
    ("on Mondays and Thursdays", [("weekday", "Mondays"), ("weekday", "Thursdays")]),
    ("tuesday", [("weekday", "tuesday")]),
    ("mon wed fri", [("weekday", "mon"), ("weekday", "wed"), ("weekday", "fri")]),
    ("tue/thu/sat", [("weekday", "tue"), ("weekday", "thu/sat")]),
    ("tues and thurs", [("weekday", "tues"), ("weekday", "thurs")]),
    ("Sat and Sun", [("weekday", "Sat and Sun")]),
    ("on sat", [("weekday", "on sat")]),
    ("weekdays", [("weekday", "weekdays")]),
    ("weekends only", [("weekday", "weekends")]),
    ("every day", [("weekday", "every day")]),
    ("Mon-Fri", [("weekday", "Mon-Fri")]),
    ("monday to friday", [("weekday", "monday to friday")]),
    ("a chair and a resistance band", [("equipment", "chair"), ("equipment", "resistance band")]),
    ("dumbbells and weights", [("equipment", "dumbbells"), ("equipment", "weights")]),
    ("a step, the stairs", [("equipment", "step"), ("equipment", "stairs")]),
    ("the kitchen counter or a wall", [("equipment", "kitchen counter"), ("equipment", "wall")]),
    ("a kettlebell", [("equipment", "kettlebell")]),
    (
        "Did my SQUATS with dumbbells at 7AM on Monday, knee pain 3/10",
        [("exercise", "SQUATS"), ("equipment", "dumbbells"), ("time", "at 7AM"),
         ("weekday", "Monday"), ("body_part", "knee"), ("pain_score", "pain 3/10")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), ENTITY_CASES, ids=[c[0] for c in ENTITY_CASES])
def test_entity_ruler_finds(nlp: Language, text: str, expected: list[tuple[str, str]]) -> None:
    assert [(ent.label_, ent.text) for ent in nlp(text).ents] == expected


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I sat down on the sofa", "weekday"),
        ("we walked in the sun", "weekday"),
        ("I'm back, coach", "body_part"),
        ("three days in a row", "exercise"),
        ("meet at 25:99", "time"),
        ("it was 13am", "time"),
        ("I did 4 sets", "pain_score"),
        ("I did 4 sets", "effort"),
        ("a 5 minute walk", "pain_score"),
        ("every other day", "weekday"),
    ],
)
def test_entity_ruler_leaves_alone(nlp: Language, text: str, label: str) -> None:
    assert [ent.text for ent in nlp(text).ents if ent.label_ == label] == []


PARSERS = {
    "pain_score": parse_pain_score,
    "effort": parse_effort,
    "body_part": parse_body_part,
    "time": parse_time,
    "weekday": parse_weekdays,
}


@pytest.mark.parametrize(("text", "expected"), ENTITY_CASES, ids=[c[0] for c in ENTITY_CASES])
def test_every_entity_found_can_be_parsed(
    nlp: Language, text: str, expected: list[tuple[str, str]]
) -> None:
    """The ruler and the parsers agree: a found entity always yields a value."""
    for ent in nlp(text).ents:
        parser = PARSERS.get(ent.label_)
        if parser is None or ent.text == "15/10":
            continue
        assert parser(ent.text) not in (None, ()), (ent.label_, ent.text)
