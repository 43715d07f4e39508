"""What the clinic marks on a client, by the short names coaches type.

`/flags 123456789 weights=yes` in the coach chat, `bone-coach flags 123456789 --weights yes` on the
command line. The rules engine reads them (bot/coaching/tiers.py): `fracture` stops every session
until cleared, `high_risk` gives the spine-protecting plan, `weights` and `floor` allow new weighted
exercises and floor transfers.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.nlp.parsing import parse_yes_no

# Short name -> column of `clients` (bot.services.plans.CLINIC_FLAGS).
FLAG_NAMES = {
    "fracture": "recent_fracture_uncleared",
    "high_risk": "high_risk",
    "weights": "cleared_for_weights",
    "floor": "cleared_floor",
}


def parse_flag_args(words: list[str]) -> dict[str, bool]:
    """["weights=yes", "floor=no"] -> {"cleared_for_weights": True, "cleared_floor": False}."""
    flags: dict[str, bool] = {}
    for word in words:
        name, sep, value = word.partition("=")
        answer = parse_yes_no(value) if sep else None
        if name.lower() not in FLAG_NAMES or answer is None:
            raise ValueError(word)
        flags[FLAG_NAMES[name.lower()]] = answer
    return flags


def describe(flags: Mapping[str, bool]) -> str:
    """{"cleared_for_weights": True, ...} -> "fracture=no high_risk=no weights=yes floor=no"."""
    return " ".join(f"{short}={'yes' if flags[column] else 'no'}" for short, column in FLAG_NAMES.items())
