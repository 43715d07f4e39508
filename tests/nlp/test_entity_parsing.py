"""Parsing entity text and short answers into values, including what clients really type."""

from __future__ import annotations

from datetime import time

import pytest

from bot.coaching.library import home_equipment
from bot.nlp.parsing import (
    ScoreOutOfRange,
    parse_body_part,
    parse_count,
    parse_effort,
    parse_equipment,
    parse_pain_score,
    parse_score,
    parse_time,
    parse_weekdays,
    parse_yes_no,
)

LONG = "lorem ipsum " * 834  # 10,008 characters, nothing to find
BAD_INPUT = [None, "", "   ", LONG, "😀🙃🔥", "\x00\n\t", "%$#@!", "٧"]


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("6/10", 6),
        ("6 / 10", 6),
        ("6 out of 10", 6),
        ("pain is a 7", 7),
        ("pain 4", 4),
        ("about a 3", 3),
        ("hurts like a 5", 5),
        ("Pain:6", 6),
        ("seven", 7),
        ("a five", 5),
        ("pain is about a SEVEN", 7),
        ("0", 0),
        ("10/10", 10),
        ("zero", 0),
        ("no pain", 0),
        ("pain-free today", 0),
        ("none", 0),
        ("5-6", 6),  # a range is read at its upper end: the cautious reading
        ("five or six", 6),
        ("4.5", 5),  # half points round up
        ("one knee is a 4", 4),  # digits beat number words
        ("at 7:30 it was a 3", 3),  # a clock time is not a score
        ("it's a 6/10 😣", 6),
    ],
)
def test_parse_pain_score(text: str, score: int) -> None:
    assert parse_pain_score(text) == score


@pytest.mark.parametrize("text", ["15/10", "-3", "pain -3", "11", "eleven out of ten", "10.5",
                                  "9" * 5000, "pain is 100"])
def test_a_pain_score_off_the_scale_says_so(text: str) -> None:
    with pytest.raises(ScoreOutOfRange) as raised:
        parse_pain_score(text)
    assert (raised.value.low, raised.value.high) == (0, 10)
    assert isinstance(raised.value, ValueError)
    assert len(str(raised.value)) < 60  # safe to show or log, whatever was typed


@pytest.mark.parametrize("text", [*BAD_INPUT, "pain", "it hurts", "a lot"])
def test_no_pain_score_in(text: str | None) -> None:
    assert parse_pain_score(text) is None


@pytest.mark.parametrize(
    ("text", "effort"),
    [("rpe 6", 6), ("RPE6", 6), ("effort 7/10", 7), ("effort was an 8", 8), ("nine", 9),
     ("effort 7 out of 10", 7), ("1", 1), ("10", 10)],
)
def test_parse_effort(text: str, effort: int) -> None:
    assert parse_effort(text) == effort


@pytest.mark.parametrize("text", ["0", "effort 0", "15/10", "-3", "12"])
def test_effort_is_one_to_ten(text: str) -> None:
    with pytest.raises(ScoreOutOfRange) as raised:
        parse_effort(text)
    assert (raised.value.low, raised.value.high) == (1, 10)


@pytest.mark.parametrize("text", BAD_INPUT)
def test_no_effort_in(text: str | None) -> None:
    assert parse_effort(text) is None


def test_parse_score_takes_any_scale() -> None:
    assert parse_score("4 out of 5", 1, 5) == 4
    with pytest.raises(ScoreOutOfRange):
        parse_score("7", 1, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7am", time(7)),
        ("7 am", time(7)),
        ("7 a.m.", time(7)),
        ("7:30 pm", time(19, 30)),
        ("7.30pm", time(19, 30)),
        ("18:30", time(18, 30)),
        ("at 18:30", time(18, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("0:15", time(0, 15)),
        ("noon", time(12)),
        ("lunchtime", time(12)),
        ("morning", time(8)),
        ("Mornings", time(8)),
        ("evening", time(18)),
        ("evenings", time(18)),
        ("after lunch", time(13)),
        ("at night", time(20)),
        ("8 in the morning", time(8)),
        ("7 in the evening", time(19)),
        ("2 in the afternoon", time(14)),
        ("10 at night", time(22)),
        ("at 7", time(7)),
        ("at 5", time(17)),  # nobody is reminded at 5 am unless they say "am"
        ("5am", time(5)),
        ("05:30", time(5, 30)),
        ("7", time(7)),
        ("7ish", time(7)),
        ("at 8 o'clock", time(8)),
        ("remind me every day at 9:15am", time(9, 15)),
        ("25:99 no wait 7pm", time(19)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", [*BAD_INPUT, "25:99", "13pm", "7:60", "24:00", "6/10", "I did 4 sets", "soon"]
)
def test_no_time_in(text: str | None) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon wed fri", (0, 2, 4)),
        ("Tuesdays and Thursdays", (1, 3)),
        ("weekdays", (0, 1, 2, 3, 4)),
        ("weekends", (5, 6)),
        ("tue/thu/sat", (1, 3, 5)),
        ("Sat and Sun", (5, 6)),
        ("every day", tuple(range(7))),
        ("everyday", tuple(range(7))),
        ("daily", tuple(range(7))),
        ("Mon-Fri", (0, 1, 2, 3, 4)),
        ("monday to friday", (0, 1, 2, 3, 4)),
        ("friday through monday", (0, 4, 5, 6)),
        ("every day but sunday", (0, 1, 2, 3, 4, 5)),
        ("every day except weekends", (0, 1, 2, 3, 4)),
        ("not monday, tuesday", (1,)),
        ("no, monday and friday", (0, 4)),
        ("wednsday and thurday", (2, 3)),
        ("Wed.", (2,)),
        ("tues, thurs", (1, 3)),
        ("monday monday monday", (0,)),
        ("I'd like to train on monday and thursday", (0, 3)),
    ],
)
def test_parse_weekdays(text: str, days: tuple[int, ...]) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", [*BAD_INPUT, "every other day", "today", "someday", "birthday"])
def test_no_weekdays_in(text: str | None) -> None:
    assert parse_weekdays(text) == ()


@pytest.mark.parametrize(
    ("text", "equipment"),
    [
        ("a chair", {"chair"}),
        ("I have a chair and a band", {"chair", "band"}),
        ("resistance bands, a step and a sturdy chair", {"band", "step", "chair"}),
        ("dumbbells", {"dumbbells"}),
        ("some hand weights and a kettlebell", {"dumbbells"}),
        ("stairs", {"step"}),
        ("a chair, no band", {"chair"}),
        ("I have a chair and a band but no dumbbells", {"chair", "band"}),
        ("I don't have a band, just a chair", {"chair"}),
        ("nothing except a chair", {"chair"}),
        ("none", set()),
        ("nothing", set()),
        ("no equipment", set()),
        ("no band or weights", set()),
        ("haven't got a step", set()),
        ("only ankle weights", set()),  # not dumbbells
        ("the kitchen counter", set()),  # support, not part of the profile
    ],
)
def test_parse_equipment(text: str, equipment: set[str]) -> None:
    assert parse_equipment(text) == frozenset(equipment)
    assert parse_equipment(text) <= home_equipment()


@pytest.mark.parametrize("text", BAD_INPUT)
def test_no_equipment_in(text: str | None) -> None:
    assert parse_equipment(text) == frozenset()


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("lower back", "back"),
        ("my upper back", "back"),
        ("Spine", "back"),
        ("knees", "knee"),
        ("my left knee", "knee"),
        ("feet", "foot"),
        ("my heel", "foot"),
        ("hips", "hip"),
        ("ribs", "rib"),
        ("WRISTS", "wrist"),
        ("calves", "leg"),
        ("the back of my knee", "knee"),
        ("knee and hip", "knee"),
    ],
)
def test_parse_body_part(text: str, part: str) -> None:
    assert parse_body_part(text) == part


@pytest.mark.parametrize("text", [*BAD_INPUT, "everywhere", "my whole body"])
def test_no_body_part_in(text: str | None) -> None:
    assert parse_body_part(text) is None


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True), ("Yeah", True), ("yep", True), ("sure", True), ("ok", True),
        ("OK!", True), ("of course", True), ("yes, twice", True), ("👍", True),
        ("no", False), ("nope", False), ("Never", False), ("not really", False),
        ("no falls", False), ("nah", False), ("I have not", False), ("of course not", False),
        ("I don't", False),
    ],
)
def test_parse_yes_no(text: str, answer: bool) -> None:
    assert parse_yes_no(text) is answer


@pytest.mark.parametrize(
    "text", [*BAD_INPUT, "not sure", "maybe", "yes and no", "dunno", "what do you mean"]
)
def test_unclear_yes_no(text: str | None) -> None:
    assert parse_yes_no(text) is None


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("twice", 2), ("once", 1), ("three times", 3), ("3", 3), ("none", 0), ("no falls", 0),
        ("never", 0), ("zero", 0), ("0", 0), ("once or twice", 2), ("2 or 3", 3),
        ("a couple of times", 2), ("twice in the last 12 months", 2), ("yes, once", 1),
    ],
)
def test_parse_count(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", [*BAD_INPUT, "yes", "-3", "1000000", "I fell 2 years ago"])
def test_no_count_in(text: str | None) -> None:
    assert parse_count(text) is None


@pytest.mark.parametrize("answer", ["zero width spaces", "\u200b\u200b", "three cats", "two days ago I think"])
def test_a_count_or_invisible_text_is_not_a_pain_score(answer: str) -> None:
    """Issue 11: a spelled-out number followed by what it counts is not an answer on the scale."""
    assert parse_pain_score(answer) is None
