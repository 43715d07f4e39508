"""The exercise ladders and the engine's rules, checked when bot/content is loaded.

A mistake in the data files (an unknown tag, a ladder of two rungs, a barbell) fails loudly at
start-up instead of producing an unsafe plan later. bot.content.loader reads the files and
caches what these parsers make of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bot.coaching.models import Reason
from bot.content import loader

PATTERNS = (
    "sit_to_stand", "step_up", "hip_hinge", "push", "row", "carry", "heel_raise", "balance",
    "back_extensor",
)
TAGS = frozenset({
    "loaded_flexion", "twisting", "impact", "floor_transfer", "unsupported_balance", "weighted",
    "floor_lift",
})
SOURCES = ("TFTF", "ROS", "LIFTMOR", "Otago", "STEADI", "Silbernagel", "BHOF", "clinic")
MEASURES = ("reps", "seconds", "metres")
WALKS = ("walk_brisk", "walk_indoor", "walk_easy")
# The section of rules.yml that names the sources, not a rule.
NOT_ENGINE_RULES = frozenset({"sources"})


class LibraryError(ValueError):
    """The exercise or rules file breaks a rule the engine relies on."""


@dataclass(frozen=True)
class Dosage:
    sets: tuple[int, int]  # (start, most)
    measure: str  # reps | seconds | metres
    amount: tuple[int, int]  # per set, (from, to)
    rest_s: int
    per_side: bool = False


@dataclass(frozen=True)
class Rung:
    id: str
    name: str
    equipment: frozenset[str]
    dosage: Dosage
    load: str
    cue: str
    tags: frozenset[str]
    loads: frozenset[str] = frozenset()  # body parts worked (gentle and extra items)


@dataclass(frozen=True)
class Ladder:
    pattern: str
    label: str  # lower-case name for sentences, e.g. "rows"
    rungs: tuple[Rung, ...]


@dataclass(frozen=True)
class Library:
    ladders: Mapping[str, Ladder]  # in file order
    balance_extras: tuple[Rung, ...]
    gentle: tuple[Rung, ...]
    walks: Mapping[str, Rung]
    equipment: frozenset[str] = frozenset()  # what onboarding asks about (exercises.yml)


@dataclass(frozen=True)
class _Known:
    """What a rung may name: the rules, the body parts of rules.yml, the equipment list."""

    rules: Rules
    body_parts: frozenset[str]
    home: frozenset[str]
    everywhere: frozenset[str]  # in every home: never asked, always available


@dataclass(frozen=True)
class Rule:
    id: str
    source: str
    text: str | None
    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass(frozen=True)
class Rules:
    by_id: Mapping[str, Rule]
    sources: Mapping[str, str]  # source key -> name a client can read
    clinic: Mapping[str, str] = field(default_factory=dict)  # {clinic_phone}, {clinic_name}

    def __getitem__(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]

    def reason(self, rule_id: str, **fields: Any) -> Reason:
        """The rule's sentence with its placeholders (and the clinic's contact) filled in."""
        rule = self.by_id[rule_id]
        if rule.text is None:
            raise LibraryError(f"rule {rule_id} has no text to show a client")
        text = rule.text.format(**{**self.clinic, **fields})
        return Reason(rule_id, " ".join(text.split()), rule.source)


# --- rules ------------------------------------------------------------------------------------
def parse_rules(data: Mapping[str, Any], clinic: Mapping[str, str] | None = None) -> Rules:
    """`clinic` fills {clinic_name} and {clinic_phone}; by default clinic.yml's."""
    sources = dict(data.get("sources") or {})
    if set(sources) != set(SOURCES):
        raise LibraryError(f"sources must name exactly {SOURCES}")
    by_id = {}
    for rule_id, body in data.items():
        if rule_id in NOT_ENGINE_RULES:
            continue
        if not isinstance(body, Mapping) or body.get("source") not in SOURCES:
            raise LibraryError(f"rule {rule_id}: needs a source, one of {SOURCES}")
        text = body.get("text")
        if text is not None and not (isinstance(text, str) and text.strip()):
            raise LibraryError(f"rule {rule_id}: text must be a sentence")
        values = {k: v for k, v in body.items() if k not in ("source", "text")}
        by_id[rule_id] = Rule(rule_id, body["source"], text, values)
    if clinic is None:
        clinic = {"clinic_name": loader.clinic().name, "clinic_phone": loader.clinic().phone}
    return Rules(by_id, sources, dict(clinic))


@cache
def default_rules() -> Rules:
    """bot/content/rules.yml, read once per process (with the clinic's name and phone for its
    texts); a broken file raises ContentError naming it."""
    path = loader.CONTENT_DIR / "rules.yml"
    contact = {"clinic_name": loader.clinic().name, "clinic_phone": loader.clinic().phone}
    try:
        return parse_rules(loader.read_yaml(path), contact)
    except (LibraryError, KeyError, TypeError) as error:
        raise loader.ContentError(f"bot/content/rules.yml: {error}") from error


# --- exercises --------------------------------------------------------------------------------
def _pair(value: Any, where: str) -> tuple[int, int]:
    if (
        not isinstance(value, list) or len(value) != 2
        or not all(isinstance(v, int) and v > 0 for v in value) or value[0] > value[1]
    ):
        raise LibraryError(f"{where}: expected [from, to] with 0 < from <= to, got {value!r}")
    return value[0], value[1]


def _dosage(raw: Mapping[str, Any], where: str) -> Dosage:
    found = [m for m in (*MEASURES, "minutes") if m in raw]
    if len(found) != 1:
        raise LibraryError(f"{where}: dosage needs exactly one of reps, seconds, metres, minutes")
    measure = found[0]
    amount = _pair(raw[measure], f"{where} {measure}")
    if measure == "minutes":
        measure, amount = "seconds", (amount[0] * 60, amount[1] * 60)
    return Dosage(
        sets=_pair(raw.get("sets"), f"{where} sets"),
        measure=measure,
        amount=amount,
        rest_s=int(raw.get("rest_s", 0)),
        per_side=bool(raw.get("per_side", False)),
    )


def _rung(raw: Mapping[str, Any], where: str, known: _Known) -> Rung:
    for key in ("id", "name", "load", "cue"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise LibraryError(f"{where}: {key} is missing")
    where = f"{where} {raw['id']}"
    # Short enough that a whole session fits one phone screen (see formatting.py).
    for key, most in (("name", 45), ("load", 40), ("cue", 60)):
        if "\n" in raw[key] or len(raw[key]) > most:
            raise LibraryError(f"{where}: {key} must be one line of at most {most} characters")
    equipment = frozenset(raw.get("equipment") or ())
    if not equipment <= known.home | known.everywhere:
        raise LibraryError(f"{where}: unknown equipment {sorted(equipment - known.home - known.everywhere)}")
    tags = frozenset(raw.get("tags") or ())
    if not tags <= TAGS:
        raise LibraryError(f"{where}: unknown tags {sorted(tags - TAGS)}")
    loads = frozenset(raw.get("loads") or ())
    if not loads <= known.body_parts:
        raise LibraryError(f"{where}: unknown body parts {sorted(loads - known.body_parts)}")
    text = " ".join((raw["name"], raw["load"], raw["cue"])).lower()
    banned = [w for w in known.rules["never_generate"]["words"] if str(w).lower() in text]
    if banned:
        raise LibraryError(f"{where}: the coach never generates this ({banned})")
    return Rung(
        id=raw["id"], name=raw["name"], equipment=equipment - known.everywhere,
        dosage=_dosage(raw.get("dosage") or {}, where), load=raw["load"], cue=raw["cue"],
        tags=tags, loads=loads,
    )


def _ladder(pattern: str, raw: Mapping[str, Any], known: _Known) -> Ladder:
    rungs = tuple(_rung(r, pattern, known) for r in raw.get("rungs") or ())
    if not 3 <= len(rungs) <= 6:
        raise LibraryError(f"{pattern}: a ladder has 3-6 rungs, not {len(rungs)}")
    if rungs[0].tags:
        raise LibraryError(f"{pattern}: the first rung must suit every client (no tags)")
    sets, reps = known.rules["dose_bounds"]["sets"], known.rules["dose_bounds"]["reps"]
    for rung in rungs:
        lo, hi = rung.dosage.sets
        if lo < sets[0] or hi > sets[1]:
            raise LibraryError(f"{rung.id}: sets must stay within {sets}")
        if rung.dosage.measure == "reps" and (
            rung.dosage.amount[0] < reps[0] or rung.dosage.amount[1] > reps[1]
        ):
            raise LibraryError(f"{rung.id}: reps must stay within {reps}")
    label = raw.get("label")
    if not isinstance(label, str) or not label:
        raise LibraryError(f"{pattern}: label is missing")
    return Ladder(pattern, label, rungs)


def _equipment(data: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(home, everywhere) from the `equipment` section."""
    raw = data.get("equipment")
    lists = [raw.get(k) if isinstance(raw, Mapping) else None for k in ("home", "everywhere")]
    if not all(isinstance(v, list) and v and all(isinstance(i, str) for i in v) for v in lists):
        raise LibraryError("equipment: needs lists `home` and `everywhere` of item names")
    home, everywhere = (frozenset(v) for v in lists)  # type: ignore[arg-type]
    if home & everywhere:
        raise LibraryError(f"equipment: {sorted(home & everywhere)} both home and everywhere")
    return home, everywhere


def parse_library(data: Mapping[str, Any], rules: Rules) -> Library:
    home, everywhere = _equipment(data)
    known = _Known(rules, frozenset(rules["pain_zones"]["body_parts"]), home, everywhere)
    raw_ladders = data.get("ladders") or {}
    missing = [p for p in PATTERNS if p not in raw_ladders]
    if missing:
        raise LibraryError(f"missing ladders: {missing}")
    ladders = {p: _ladder(p, raw, known) for p, raw in raw_ladders.items()}
    extras = tuple(_rung(r, "balance_extras", known) for r in data.get("balance_extras") or ())
    gentle = tuple(_rung(r, "gentle", known) for r in data.get("gentle") or ())
    raw_walks = data.get("walks") or {}
    if set(raw_walks) != set(WALKS):
        raise LibraryError(f"walks must be exactly {WALKS}")
    walks = {k: _rung({**v, "id": k}, "walks", known) for k, v in raw_walks.items()}
    named = [
        *rules["session_size"]["order"], *rules["fatigue_minimum"]["patterns"],
        *rules["winter_ice"]["order"], *rules["tier_spine_protect"]["first"],
        *rules["tier_falls_first"]["first"],
        *(p for ps in rules["pain_zones"]["body_parts"].values() for p in ps),
    ]
    orders = (rules["session_size"]["order"], rules["winter_ice"]["order"])
    if set(named) - set(ladders) or any(set(ladders) != set(o) for o in orders):
        raise LibraryError("rules.yml and exercises.yml must name the same ladders")
    everything = [r for ladder in ladders.values() for r in ladder.rungs]
    everything += [*extras, *gentle, *walks.values()]
    ids = [r.id for r in everything]
    if len(ids) != len(set(ids)):
        raise LibraryError("rung ids must be unique")
    for group, items in (("balance_extras", extras), ("gentle", gentle)):
        if len(items) < 2 or any(r.tags or r.equipment for r in items):
            raise LibraryError(f"{group}: at least two untagged items that need no equipment")
    # However little a client owns and whatever their tier, a strength day can be full.
    open_to_all = [p for p, ladder in ladders.items() if not ladder.rungs[0].equipment]
    if len(open_to_all) < rules["session_size"]["bounds"][0]:
        raise LibraryError("too few ladders start with a rung that needs no equipment")
    return Library(ladders, extras, gentle, walks, home)


@cache
def default_library() -> Library:
    """bot/content/exercises.yml, read once per process and checked against rules.yml; a broken
    file raises ContentError naming it."""
    try:
        return parse_library(loader.read_yaml(loader.CONTENT_DIR / "exercises.yml"), default_rules())
    except (LibraryError, KeyError, TypeError) as error:
        raise loader.ContentError(f"bot/content/exercises.yml: {error}") from error


def home_equipment() -> frozenset[str]:
    """What onboarding asks a client to own (exercises.yml `equipment.home`)."""
    return default_library().equipment
