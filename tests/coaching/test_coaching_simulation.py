"""Twelve weeks day by day for generated clients (bench/simulate.py at a smaller size): every
day's plan keeps every promise, and the ladders still move (issue 13)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from bench.simulate import simulate
from bot.coaching.engine import plan_today
from bot.coaching.models import History, Plan, Profile, SymptomReport


def test_sixty_clients_for_twelve_weeks_keep_every_promise_every_day() -> None:
    summary = simulate(clients=60, weeks=12, seed=13)
    assert summary.days == 60 * 84
    assert summary.violations == []
    # Not safe by standing still: ladders do climb, and bad days do happen.
    assert summary.first_up_weeks and summary.median_weeks_to_first_up is not None
    assert summary.kinds["gentle"] and summary.kinds["stop"] and summary.kinds["strength"]


def test_the_simulator_catches_a_ladder_that_climbs_on_a_gentle_day() -> None:
    """A planner that steps every ladder up on gentle days is caught the first time it does."""

    def climbs_when_sore(profile: Profile, history: History, today: date,
                         symptoms: Sequence[SymptomReport]) -> Plan:
        plan = plan_today(profile, history, today, symptoms)
        if plan.kind != "gentle":
            return plan
        return replace(plan, rungs={p: r + 1 if r == 0 else r for p, r in plan.rungs.items()})

    summary = simulate(clients=30, weeks=6, seed=13, planner=climbs_when_sore)
    assert any("stepped up on a gentle day" in v for v in summary.violations)
