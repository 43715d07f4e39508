"""The exercise library and the rules file: what the engine may rely on, checked on load."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from bot.coaching.library import (
    PATTERNS,
    SOURCES,
    TAGS,
    LibraryError,
    default_library,
    default_rules,
    home_equipment,
    parse_library,
    parse_rules,
)
from bot.content.loader import CONTENT_DIR as CONTENT

RAW = yaml.safe_load((CONTENT / "exercises.yml").read_text())
RAW_RULES = yaml.safe_load((CONTENT / "rules.yml").read_text())
LIBRARY = default_library()
ALL_RUNGS = [r for ladder in LIBRARY.ladders.values() for r in ladder.rungs]
ALL_ITEMS = [*ALL_RUNGS, *LIBRARY.balance_extras, *LIBRARY.gentle, *LIBRARY.walks.values()]


def test_every_required_pattern_is_a_ladder_of_three_to_six_rungs() -> None:
    assert set(PATTERNS) <= set(LIBRARY.ladders)
    for ladder in LIBRARY.ladders.values():
        assert 3 <= len(ladder.rungs) <= 6, ladder.pattern


def test_every_rung_has_a_cue_a_load_known_tags_and_known_equipment() -> None:
    for rung in ALL_ITEMS:
        assert rung.cue.strip() and "\n" not in rung.cue, rung.id
        assert rung.load.strip(), rung.id
        assert rung.tags <= TAGS, rung.id
        assert rung.equipment <= home_equipment(), rung.id  # counter and wall are never asked for
        assert rung.dosage.measure in ("reps", "seconds", "metres")
        assert 1 <= rung.dosage.sets[0] <= rung.dosage.sets[1] <= 3


def test_reps_stay_in_the_guideline_range_and_rung_ids_are_unique() -> None:
    for rung in ALL_RUNGS:
        if rung.dosage.measure == "reps":
            assert 8 <= rung.dosage.amount[0] <= rung.dosage.amount[1] <= 12, rung.id
    ids = [r.id for r in ALL_ITEMS]
    assert len(ids) == len(set(ids))


def test_nothing_the_coach_never_generates_is_in_the_library() -> None:
    text = yaml.safe_dump(RAW).lower()
    for word in ("barbell", "1rm", "drop jump", "depth jump", "jump off", "box jump"):
        assert word not in text
    assert all(not ladder.rungs[0].tags for ladder in LIBRARY.ladders.values())


def test_spine_sparing_swaps_exist_where_the_guidelines_ask_for_them() -> None:
    # No floor lifts and no loaded turning at all (issue 13): hinges stop at the Romanian
    # deadlift, the trunk ladder is the Pallof press (EXERCISE_SCIENCE.md sections 2-3).
    every = [r for ladder in LIBRARY.ladders.values() for r in ladder.rungs]
    assert not [r.id for r in every if r.tags & {"floor_lift", "twisting"}]
    assert all("weighted" in r.tags for r in LIBRARY.ladders["row"].rungs if "dumbbells" in
               r.equipment)
    assert any("impact" in r.tags for r in LIBRARY.ladders["heel_raise"].rungs)
    balance = LIBRARY.ladders["balance"].rungs
    assert not balance[0].tags and not balance[1].tags
    assert all("unsupported_balance" in r.tags for r in balance[2:])


def test_at_least_six_ladders_start_with_a_rung_anyone_can_do_at_home() -> None:
    open_to_all = [p for p, ladder in LIBRARY.ladders.items() if not ladder.rungs[0].equipment]
    assert len(open_to_all) >= 6


def _mutated(change: Any) -> dict:
    data = copy.deepcopy(RAW)
    change(data)
    return data


def _rung(data: dict, pattern: str = "push", index: int = 0) -> dict:
    return data["ladders"][pattern]["rungs"][index]


BROKEN = {
    "two rungs": lambda d: d["ladders"]["push"].update(rungs=d["ladders"]["push"]["rungs"][:2]),
    "seven rungs": lambda d: d["ladders"]["heel_raise"]["rungs"].append(
        {**_rung(d, "heel_raise", 5), "id": "heel_seventh"}),
    "missing pattern": lambda d: d["ladders"].pop("carry"),
    "unknown tag": lambda d: _rung(d, index=1).update(tags=["risky"]),
    "unknown equipment": lambda d: _rung(d).update(equipment=["kettlebell"]),
    "no cue": lambda d: _rung(d).update(cue=""),
    "two-line cue": lambda d: _rung(d).update(cue="Push.\nBreathe."),
    "two measures": lambda d: _rung(d)["dosage"].update(seconds=[10, 20]),
    "four sets": lambda d: _rung(d)["dosage"].update(sets=[1, 4]),
    "twenty reps": lambda d: _rung(d)["dosage"].update(reps=[8, 20]),
    "barbell": lambda d: _rung(d, index=2).update(name="Barbell bench press"),
    "tagged first rung": lambda d: _rung(d).update(tags=["weighted"]),
    "duplicate id": lambda d: _rung(d, index=1).update(id=_rung(d)["id"]),
    "unknown body part": lambda d: d["gentle"][0].update(loads=["spleen"]),
    "no walks": lambda d: d.pop("walks"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_library_fails_to_load(name: str) -> None:
    with pytest.raises(LibraryError):
        parse_library(_mutated(BROKEN[name]), default_rules())


def test_every_rule_names_a_known_source_and_reasons_are_sentences() -> None:
    rules = default_rules()
    assert set(rules.sources) == set(SOURCES)
    for rule in rules.by_id.values():
        assert rule.source in SOURCES, rule.id
        if rule.text is not None:
            assert rule.text.strip()[-1] in ".!", rule.id


def test_the_pain_zones_the_service_reads_are_there() -> None:
    zones = default_rules()["pain_zones"]
    assert (zones["amber_min"], zones["red_min"]) == (3, 5)
    assert zones["coach_alert_min"] > zones["red_min"]


def test_a_rule_without_a_source_fails_to_load() -> None:
    data = copy.deepcopy(RAW_RULES)
    data["pain_zones"].pop("source")
    with pytest.raises(LibraryError):
        parse_rules(data)
    data = copy.deepcopy(RAW_RULES)
    data["winter_ice"]["source"] = "a blog"
    with pytest.raises(LibraryError):
        parse_rules(data)
