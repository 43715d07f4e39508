"""Risk tiers, decided before any exercise is chosen (EXERCISE_SCIENCE.md section 0).

Tiers combine: a client can be both spine-protect and falls-first. `stop` overrides everything:
no session of any kind until a clinician or coach has cleared the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.coaching.library import Rules, default_rules
from bot.coaching.models import Profile, Reason, SymptomReport

STOP = "stop"
STANDARD = "standard"
SPINE_PROTECT = "spine_protect"
FALLS_FIRST = "falls_first"


@dataclass(frozen=True)
class TierDecision:
    tiers: frozenset[str]
    reasons: tuple[Reason, ...]  # stop reasons first, then one per other tier
    spine_why: str = ""  # "the fracture in your back": reused by the cautions' sentences
    stop_reasons: tuple[Reason, ...] = ()


def open_red_flags(symptoms: Sequence[SymptomReport]) -> list[SymptomReport]:
    """Red flags nobody has cleared yet, whatever their date."""
    return [s for s in symptoms if s.kind == "red_flag" and not s.cleared]


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _spine_reasons(profile: Profile) -> list[str]:
    """Why keys for spine-protect. "Not sure" is worded as a possibility, and high risk names
    the screening answer behind it, so the client reads their own words, not a diagnosis."""
    keys = []
    if profile.vertebral_fracture:
        keys.append("vertebral_fracture_unsure" if profile.vertebral_fracture_unsure
                    else "vertebral_fracture")
    if profile.high_risk:
        named = [key for key, applies in (("several_fractures", profile.several_fractures),
                                          ("height_loss_or_curve", profile.height_loss_or_curve))
                 if applies]
        keys.extend(named or ["high_risk"])
    return keys


def assign_tiers(
    profile: Profile, symptoms: Sequence[SymptomReport], rules: Rules | None = None
) -> TierDecision:
    rules = rules or default_rules()
    stop: list[Reason] = []
    if open_red_flags(symptoms):
        stop.append(rules.reason("red_flag_open"))
    if profile.recent_fracture_uncleared:
        stop.append(rules.reason("recent_fracture"))

    tiers = {STOP} if stop else set()
    reasons: list[Reason] = []
    spine = rules["tier_spine_protect"]
    spine_why = [spine["why"][key] for key in _spine_reasons(profile)]
    if spine_why:
        tiers.add(SPINE_PROTECT)
        reasons.append(rules.reason("tier_spine_protect", why=_join(spine_why)))

    falls = rules["tier_falls_first"]
    tandem = profile.tandem_stance_seconds
    falls_why = [
        falls["why"][key]
        for key, applies in (
            ("falls", profile.falls_last_year >= falls["min_falls"]),
            ("confidence", profile.balance_confidence in falls["low_confidence"]),
            ("tandem", tandem is not None and tandem < falls["tandem_seconds_below"]),
        )
        if applies
    ]
    if falls_why:
        tiers.add(FALLS_FIRST)
        reasons.append(rules.reason("tier_falls_first", why=_join(falls_why)))

    if not spine_why and not falls_why:
        tiers.add(STANDARD)
        reasons.append(rules.reason("tier_standard"))
    return TierDecision(
        tiers=frozenset(tiers),
        reasons=tuple(stop + reasons),
        spine_why=_join(spine_why) if spine_why else "",
        stop_reasons=tuple(stop),
    )
