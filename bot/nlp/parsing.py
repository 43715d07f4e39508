"""Turn entity text and short answers into values: scores, clock times, weekdays, equipment...

Pure functions over strings. Entity values are the matched text ("pain is a 7", "7.30pm",
"tue/thu"), so each parser also accepts the words around the value. None or unusable input
gives None (or an empty collection); a score outside its scale raises ScoreOutOfRange so a
form can say what the scale is. Where a reading is uncertain the cautious one is taken:
"5-6" or "5.5" out of 10 is read as 6.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from datetime import time
from functools import cache

from bot.coaching.library import home_equipment
from bot.nlp import entity_values

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
# Longest first, so "eighteen" is not read as "eight".
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUMBER = rf"[-+]?\d+(?:\.\d+)?|{_NUMBER_WORD}"
# "6/10", "6 / 10", "6 out of 10": the scale is explicit, so this number wins.
_OF_TEN_RE = re.compile(
    rf"(?<![\w.])({_NUMBER})\s*(?:/|out of|outta)\s*(?:10|ten)\b", re.ASCII
)
# Digits not part of a clock time ("7:30") or of a range's second half ("5-6").
_DIGITS_RE = re.compile(
    r"(?<![\d.])(?<!\d[:/\-–])([-+]?\d+(?:\.\d+)?)(?![\d:]|\.\d)", re.ASCII
)
# A spelled-out number is a score unless a word follows that makes it a count ("zero width
# spaces", "three cats"); words that go with a score ("seven out of", "two today") are fine.
_AFTER_SCORE = ("out of over outta or to and but i im maybe today now tonight pain ish at in on right "
                "really tops max probably though thanks thx please because since after when from with "
                "as so if too this that the my for").split()
_WORD_NUMBER_RE = re.compile(
    rf"\b({_NUMBER_WORD})\b(?!\s+(?!(?:{'|'.join(_AFTER_SCORE)})\b)[a-z])"
)
# "5-6", "5 to 6", "5 or 6": a range right after the number is read as its upper end.
_RANGE_TAIL_RE = re.compile(rf"\s*(?:-|–|to|or)\s*({_NUMBER})(?![\d:])", re.ASCII)
_NO_PAIN_WORDS = ("none", "nil", "nothing")


class ScoreOutOfRange(ValueError):
    """A score was given but lies outside its scale ("15/10", "-3")."""

    def __init__(self, value: str, low: int, high: int) -> None:
        super().__init__(f"score {value[:20]} is outside {low} to {high}")
        self.value = value
        self.low = low
        self.high = high


def _normalise(text: str | None) -> str:
    """Lower case, one kind of apostrophe (removed), so "Don’t" and "dont" read the same."""
    if not text:
        return ""
    return text.lower().replace("’", "'").replace("'", "")


def _words(text: str, keep: str = "") -> list[str]:
    """Word tokens of normalised text; `keep` lists punctuation kept as tokens."""
    extra = f"|[{re.escape(keep)}]" if keep else ""
    return re.findall(rf"[a-z0-9]+{extra}", text)


@cache
def _phrase_index(label: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(phrase words, canonical value) for one label, longest phrase first."""
    pairs = {
        (tuple(_words(_normalise(phrase))), canonical)
        for canonical, phrases in entity_values(label).items()
        for phrase in phrases
    }
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))


def _find_phrases(words: list[str], label: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, canonical) for each phrase of `label`, left to right, longest match."""
    index = _phrase_index(label)
    position = 0
    while position < len(words):
        for phrase, canonical in index:
            if tuple(words[position : position + len(phrase)]) == phrase:
                yield position, position + len(phrase), canonical
                position += len(phrase)
                break
        else:
            position += 1


def _to_number(token: str) -> float:
    return float(_NUMBER_WORDS[token]) if token in _NUMBER_WORDS else float(token)


def _first_score(text: str) -> tuple[str, float] | None:
    """The score a sentence gives: an explicit x/10 first, then digits, then number words."""
    for pattern in (_OF_TEN_RE, _DIGITS_RE, _WORD_NUMBER_RE):
        match = pattern.search(text)
        if match:
            raw, value = match.group(1), _to_number(match.group(1))
            tail = _RANGE_TAIL_RE.match(text, match.end(1))
            if tail and pattern is not _OF_TEN_RE and value >= 0:
                upper = _to_number(tail.group(1))
                if upper > value:
                    raw, value = tail.group(1), upper
            return raw, value
    return None


def parse_score(text: str | None, low: int = 0, high: int = 10) -> int | None:
    """The first score in `text` on a low..high scale; raises ScoreOutOfRange outside it.

    Half points round up (the cautious reading for pain).
    """
    found = _first_score(_normalise(text))
    if found is None:
        return None
    raw, value = found
    if not low <= value <= high:
        raise ScoreOutOfRange(raw, low, high)
    return math.ceil(value)


def parse_pain_score(text: str | None) -> int | None:
    """Pain 0-10 ("6/10", "pain is a seven", "no pain" -> 0); ScoreOutOfRange outside.

    Give it the pain entity's text or the answer to a pain question, not a whole check-in
    ("no pain, effort 7" reads as 7).
    """
    score = parse_score(text, 0, 10)
    if score is not None:
        return score
    words = _words(_normalise(text))
    said_no_pain = next(_find_phrases(words, "pain_score"), None) is not None
    return 0 if said_no_pain or set(words) & set(_NO_PAIN_WORDS) else None


def parse_effort(text: str | None) -> int | None:
    """Effort (RPE) 1-10 ("rpe 6", "effort was an 8"); ScoreOutOfRange outside."""
    return parse_score(text, 1, 10)


_CLOCK_RE = re.compile(
    r"(?<![\w:./])(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?\s?m\b\.?|p\.?\s?m\b\.?|oclock\b)?(?:ish)?"
    r"(?![\d/:.]\d|\w)",
    re.ASCII,
)
# A bare hour is a time only next to time words: "at 7", "7 in the morning", "7 tonight".
_BARE_HOUR_BEFORE_RE = re.compile(r"\b(?:at|around|by|about)\s*$")
_BARE_HOUR_AFTER_RE = re.compile(r"\s*(?:in the|at night|tonight|this)\b")
# A bare "at 5" means 17:00; 6 and later are read as morning unless the text says otherwise.
_FIRST_MORNING_HOUR = 6


def _clock_times(text: str) -> Iterator[tuple[int, int, str | None]]:
    """(hour, minute, "am"/"pm"/None) for each number in `text` that reads as a clock time."""
    whole_text_is_number = bool(re.fullmatch(r"\s*\d{1,2}\s*(ish)?\s*", text, re.ASCII))
    for match in _CLOCK_RE.finditer(text):
        hour, minutes, suffix = match.group(1), match.group(2), match.group(3) or ""
        meridiem = "am" if suffix.startswith("a") else "pm" if suffix.startswith("p") else None
        next_to_time_words = bool(
            _BARE_HOUR_BEFORE_RE.search(text[max(0, match.start() - 10) : match.start()])
            or _BARE_HOUR_AFTER_RE.match(text, match.end())
        )
        if not (minutes or suffix or whole_text_is_number or next_to_time_words):
            continue
        yield int(hour), int(minutes or 0), meridiem


def _named_time(words: list[str]) -> time | None:
    """The named time of day in the words ("after lunch", "evenings"), if any."""
    for _, _, canonical in _find_phrases(words, "time"):
        hour, minute = canonical.split(":")
        return time(int(hour), int(minute))
    return None


def parse_time(text: str | None) -> time | None:
    """A clock time ("7am", "7:30 pm", "18:30", "noon", "evenings" -> 18:00); None if invalid."""
    norm = _normalise(text)
    named = _named_time(_words(norm))
    for hour, minute, meridiem in _clock_times(norm):
        if minute > 59:
            continue
        if meridiem:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        elif hour > 23:
            continue
        elif 1 <= hour < 12:
            # "7 in the evening" -> 19:00; a bare "at 5" -> 17:00 (nobody trains at 5 am by
            # default); "05:30" with its leading zero is already a 24-hour time.
            if named is not None:
                hour += 12 if named.hour >= 12 else 0
            elif hour < _FIRST_MORNING_HOUR and not re.search(rf"(?<!\d)0{hour}[:.]", norm):
                hour += 12
        return time(hour, minute)
    return named


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_GROUPS = {
    **{name: (index,) for index, name in enumerate(_DAY_NAMES)},
    "weekdays": (0, 1, 2, 3, 4),
    "weekend": (5, 6),
    "every_day": tuple(range(7)),
}
_RANGE_WORDS = {"to", "through", "thru", "till", "til", "until", "-", "–"}
_EXCEPT_WORDS = {"except", "excluding", "besides"}   # everything after is excluded
_EXCEPT_PAIRS = {("apart", "from"), ("other", "than"), ("but", "not")}
_NOT_WORDS = {"not", "no"}                            # only the next day is excluded
_SEPARATORS = {",", ";", "."}


def _misspelt_day(word: str) -> str | None:
    """'wednsday', 'thurday': the first two letters name the day once it ends in 'day(s)'."""
    if len(word) >= 6 and word.rstrip("s").endswith("day"):
        for name in _DAY_NAMES:
            if word[:2] == name[:2]:
                return name
    return None


def _weekday_items(words: list[str]) -> Iterator[tuple[str, str]]:
    """(kind, day group) items in order: days, range, except, not, but, sep."""
    phrases = {start: (end, group) for start, end, group in _find_phrases(words, "weekday")}
    position = 0
    while position < len(words):
        word = words[position]
        if position in phrases:
            position, group = phrases[position]
            yield "days", group
            continue
        if tuple(words[position : position + 2]) in _EXCEPT_PAIRS:
            yield "except", ""
            position += 2
            continue
        misspelt = _misspelt_day(word)
        for kind, matches in (
            ("range", word in _RANGE_WORDS),
            ("except", word in _EXCEPT_WORDS),
            ("not", word in _NOT_WORDS),
            ("but", word == "but"),
            ("sep", word in _SEPARATORS),
            ("days", misspelt is not None),
        ):
            if matches:
                yield kind, misspelt or ""
                break
        position += 1


def parse_weekdays(text: str | None) -> tuple[int, ...]:
    """Weekday numbers, 0 = Monday ("mon wed fri", "weekdays", "mon-fri", "every day but sun")."""
    items = list(_weekday_items(_words(_normalise(text), keep="-–,;.")))
    chosen: set[int] = set()
    removed: set[int] = set()
    excluding = skip_next = False
    for index, (kind, group) in enumerate(items):
        previous = items[index - 1] if index else ("", "")
        if kind == "except":
            excluding = True
        elif kind == "not":
            skip_next = True
        elif kind == "sep":
            skip_next = False
        elif kind == "but":
            # "every day but sunday" excludes; "monday but also friday" does not.
            excluding = excluding or previous[1] in ("every_day", "weekdays", "weekend")
        elif kind == "days":
            days = _DAY_GROUPS[group]
            before = items[index - 2] if index >= 2 else ("", "")
            if previous[0] == "range" and before[0] == "days":
                start, end = _DAY_GROUPS[before[1]][-1], days[0]
                days = tuple((start + step) % 7 for step in range((end - start) % 7 + 1))
            (removed if excluding or skip_next else chosen).update(days)
            skip_next = False
    return tuple(sorted(chosen - removed))


_NEGATORS = {"no", "not", "dont", "doesnt", "havent", "cannot", "without", "never", "nothing",
             "none", "neither", "nor"}
_POSITIVE_AGAIN = {"except", "but", "just", "only", "besides", "apart"}


def parse_equipment(text: str | None) -> frozenset[str]:
    """Home equipment named in the text (exercises.yml `equipment.home`; "none"/"no band" count
    as not)."""
    home = home_equipment()
    found: set[str] = set()
    for clause in re.split(r"[,.;!?\n]", _normalise(text)):
        words = _words(clause)
        items = {start: group for start, _, group in _find_phrases(words, "equipment")}
        negated = False
        for position, word in enumerate(words):
            if word in _POSITIVE_AGAIN:
                negated = False
            elif word in _NEGATORS:
                negated = True
            elif position in items and not negated and items[position] in home:
                found.add(items[position])
    return frozenset(found)


def parse_body_part(text: str | None) -> str | None:
    """The first body part named, canonical ("lower back" -> "back", "knees" -> "knee")."""
    words = _words(_normalise(text))
    for start, end, part in _find_phrases(words, "body_part"):
        # "the back of my knee" is about the knee.
        if words[start:end] == ["back"] and words[end : end + 1] == ["of"]:
            continue
        return part
    return None


def _has_phrase(text: str, phrases: Iterable[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text) for p in phrases)


_UNSURE = ("not sure", "unsure", "maybe", "dont know", "do not know", "dunno", "no idea",
           "perhaps", "not certain", "cant remember", "cant say")
_YES = ("yes", "yeah", "yea", "ya", "yep", "yup", "yes please", "sure", "ok", "okay", "k", "kk",
        "alright", "certainly", "definitely", "absolutely", "correct", "thats right", "indeed",
        "affirmative", "of course", "i do", "i did", "i have", "i am", "y", "please", "👍", "✅",
        "✔", "☑")
# Negated yes-words: "i have not" would otherwise count as both.
_NO_FIRM = ("i have not", "i did not", "i do not", "i am not", "of course not", "certainly not",
            "definitely not", "absolutely not", "not really", "not at all")
_NO = ("no", "nope", "nah", "never", "negative", "not really", "not at all", "dont", "i dont",
       "didnt", "i didnt", "havent", "i havent", "none", "n", "not", "no way", "👎", "❌")


def parse_yes_no(text: str | None) -> bool | None:
    """True for yes-like answers, False for no-like ones, None when unclear or both."""
    norm = _normalise(text).strip()
    if _has_phrase(norm, _NO_FIRM):
        return False
    if not norm or _has_phrase(norm, _UNSURE):
        return None
    yes, no = _has_phrase(norm, _YES), _has_phrase(norm, _NO)
    return None if yes == no else yes


_COUNT_WORDS = {
    **_NUMBER_WORDS,
    "once": 1, "twice": 2, "thrice": 3, "couple": 2, "few": 3, "several": 3, "dozen": 12,
}
_ZERO_ANSWERS = ("none", "no", "never", "zero", "nope", "nah", "not once", "not at all",
                 "nothing", "nil", "0")
_COUNT_RE = re.compile(
    r"(?<![\w.:/+-])(\d{1,4})(?![\w.:/])|\b("
    + "|".join(sorted(_COUNT_WORDS, key=len, reverse=True))
    + r")\b",
    re.ASCII,
)
# Numbers that measure time, not the count: "twice in 12 months".
_TIME_UNIT_RE = re.compile(r"\s*(?:months?|years?|yrs?|weeks?|days?|hours?|mins?|minutes?|ago)\b")


def parse_count(text: str | None) -> int | None:
    """How many times ("twice" -> 2, "no falls" -> 0, "2 or 3" -> 3); None if not given."""
    norm = _normalise(text)
    counts = []
    for match in _COUNT_RE.finditer(norm):
        if _TIME_UNIT_RE.match(norm, match.end()):
            continue
        digits, word = match.groups()
        counts.append(int(digits) if digits else _COUNT_WORDS[word])
    if counts:
        return max(counts)
    return 0 if _has_phrase(norm, _ZERO_ANSWERS) else None
