"""The pure parts of bench.versus_moodbot: ratios, issue-17 targets and the table they fill.

The benchmark itself starts two stacks for minutes; these checks keep its verdicts honest."""

from __future__ import annotations

import pytest

from bench.versus_moodbot import (
    MEASURES,
    ONE_P50,
    RATE,
    RSS,
    START,
    Target,
    ratio,
    table_lines,
)


def test_ratio_is_bone_coach_over_moodbot() -> None:
    assert ratio(200.0, 100.0) == 0.5
    assert ratio(0.0, 5.0) == float("inf")  # a zero baseline never passes a "≤" target


@pytest.mark.parametrize(
    ("target", "moodbot", "bone", "met"),
    [
        (Target(1.0), 100.0, 100.0, True),  # equal is within "≤1.0×"
        (Target(1.0), 100.0, 101.0, False),
        (Target(0.4), 20.0, 8.0, True),
        (Target(0.4), 20.0, 8.2, False),
        (Target(1.5, at_least=True), 10.0, 15.0, True),
        (Target(1.5, at_least=True), 10.0, 14.9, False),
        (Target(1200, absolute=True), 300.0, 1200.0, True),  # the moodbot's value plays no part
        (Target(1200, absolute=True), 3000.0, 1201.0, False),
    ],
)
def test_target_met(target: Target, moodbot: float, bone: float, met: bool) -> None:
    assert target.met(moodbot, bone) is met


def test_targets_are_issue_17s() -> None:
    assert START.target is not None and START.target.label() == "≤0.4×"
    assert ONE_P50.target is not None and ONE_P50.target.label() == "≤1.0×"
    assert RATE.target is not None and RATE.target.label() == "≥1.5×"
    assert RSS.target is not None and RSS.target.label() == "≤ 1200 MB"


def test_table_rows_values_ratio_target_and_verdict() -> None:
    moodbot = {START.name: 10.0, ONE_P50.name: 40.0, RATE.name: 20.0, RSS.name: 700.4}
    bone = {START.name: 50.0, ONE_P50.name: 30.0, RATE.name: 10.0, RSS.name: 1900.6}
    header, rule, *rows = table_lines(moodbot, bone)
    assert header.startswith("| measure | moodbot | Bone Coach | ratio")
    assert header.count("|") == rule.count("|") == rows[0].count("|")
    assert rows == [
        f"| {START.name} | 10.0 | 50.0 | 5.00× | ≤0.4× | **no** |",
        f"| {ONE_P50.name} | 40.0 | 30.0 | 0.75× | ≤1.0× | yes |",
        f"| {RATE.name} | 20.0 | 10.0 | 0.50× | ≥1.5× | **no** |",
        f"| {RSS.name} | 700 | 1901 | 2.71× | ≤ 1200 MB | **no** |",
    ]


def test_a_measure_without_a_target_has_dashes_and_missing_ones_are_left_out() -> None:
    untargeted = next(m for m in MEASURES if m.target is None)
    rows = table_lines({untargeted.name: 20.0, START.name: 1.0}, {untargeted.name: 25.0})[2:]
    assert rows == [f"| {untargeted.name} | 20.0 | 25.0 | 1.25× | — | — |"]
