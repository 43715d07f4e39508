"""The pure parts of bench.profile_turn and bench.profiled: calls matched to turns, rows summed,
summaries, growth, pstats costs and the timers' nesting rule. The benchmark itself runs the stack."""

from __future__ import annotations

import asyncio

import pytest

from bench import profiled
from bench.profile_turn import Row, function_costs, growth, our_hot_spots, summary, turn_field, turn_sums
from bot.stack import ROOT

ROWS = (
    Row("client", "client", "client"),
    Row("nlu", "NLU", "parse"),
    Row("diet", "DIET", "graph", "DIET"),
    Row("spacy", "spaCy", "graph", "Spacy(NLP|Tokenizer)"),
    Row("nlu_rest", "rest of NLU", of=("nlu", "diet", "spacy")),
)
WINDOWS = [(10.0, 10.5), (11.0, 11.2)]


def test_calls_go_to_the_turn_they_started_in_and_rows_add_up() -> None:
    records = [
        ["parse", "parse_message", 10.01, 0.100, None, None],
        ["graph", "run_DIETClassifier6", 10.02, 0.030, None, None],
        ["graph", "run_SpacyNLP0", 10.03, 0.010, None, None],
        ["graph", "run_SpacyTokenizer1", 10.04, 0.005, None, None],
        ["graph", "run_TEDPolicy2", 10.05, 0.040, None, None],  # no row wants it
        ["parse", "parse_message", 11.05, 0.050, None, None],
        ["parse", "parse_message", 10.70, 9.000, None, None],  # between turns: nobody's
        ["parse", "parse_message", 9.00, 9.000, None, None],  # before the first turn
    ]
    sums, counts = turn_sums(records, WINDOWS, ROWS)
    assert sums["client"] == pytest.approx([0.5, 0.2])
    assert sums["nlu"] == pytest.approx([0.100, 0.050])
    assert sums["spacy"] == pytest.approx([0.015, 0.0]) and counts["spacy"] == [2, 0]
    assert sums["nlu_rest"] == pytest.approx([0.055, 0.050]) and counts["nlu_rest"] == [1, 1]


def test_turn_field_keeps_the_largest_value_of_a_turn() -> None:
    records = [["retrieve", "r", 10.1, 0.01, 120, None], ["retrieve", "r", 10.2, 0.01, 80, None],
               ["request", "q", 11.1, 0.01, None, 2048], ["retrieve", "r", 11.1, 0.01, 130, None]]
    assert turn_field(records, WINDOWS, "retrieve", 4) == [120.0, 130.0]
    assert turn_field(records, WINDOWS, "request", 5) == [0.0, 2048.0]


def test_summary_percentiles_over_turns_with_the_step_means_over_all() -> None:
    values, counts, whole = [0.010, 0.0, 0.030, 0.020], [1, 0, 2, 1], [0.1, 0.1, 0.1, 0.1]
    turns, p50, p95, mean, share, calls = summary(values, counts, whole)
    assert (turns, p50, p95) == (3, pytest.approx(20.0), pytest.approx(30.0))
    assert mean == pytest.approx(15.0) and share == pytest.approx(0.15) and calls == 1.0


def test_growth_compares_first_and_last_round_per_100_events() -> None:
    events = [100.0, 100.0, 0.0, 300.0, 300.0, 300.0]
    values = [10.0, 0.0, 0.0, 30.0, 50.0, 40.0]  # 0: the step did not run in that turn
    assert growth(values, events, slice(0, 3), slice(3, None)) == pytest.approx((10.0, 40.0, 15.0))


def test_function_costs_and_our_hot_spots_per_turn() -> None:
    stats = {
        ("/x/yaml/__init__.py", 1, "load"): (4, 4, 0.0, 0.2, {}),
        ("/y/yaml/__init__.py", 9, "load"): (2, 2, 0.0, 0.1, {}),
        ("~", 0, "<method 'commit' of 'sqlite3.Connection' objects>"): (10, 10, 0.5, 0.5, {}),
        (str(ROOT / "bot" / "service.py"), 5, "todays_plan"): (10, 10, 0.1, 0.4, {}),
        (str(ROOT / "actions" / "coaching.py"), 7, "run"): (10, 10, 0.1, 0.6, {}),
    }
    commit = "<method 'commit' of 'sqlite3.Connection' objects>"
    wanted = [("yaml", "yaml/__init__.py", "load"), ("commit", "~", commit), ("none", "nowhere.py", "f")]
    assert function_costs(stats, 10, wanted) == [
        ("yaml", 0.6, pytest.approx(30.0)), ("commit", 1.0, pytest.approx(50.0)), ("none", 0.0, 0.0)]
    assert [(where, calls) for where, calls, _ in our_hot_spots(stats, 10)] == [
        ("actions/coaching.py:run", 1.0), ("bot/service.py:todays_plan", 1.0)]


def test_timers_count_the_outermost_call_of_a_group_and_await_wall_time() -> None:
    def inner(n: int) -> int:
        return n + 1

    timed_inner = profiled.timed("g", inner)

    def outer(n: int) -> int:
        return timed_inner(n) * 2

    async def waits() -> str:
        await asyncio.sleep(0.02)
        return "done"

    before = len(profiled.RECORDS)
    assert profiled.timed("g", outer)(1) == 4
    assert asyncio.run(profiled.timed("a", waits)()) == "done"
    new = profiled.RECORDS[before:]
    del profiled.RECORDS[before:]
    assert [(group, label.rsplit(".", 1)[-1]) for group, label, *_ in new] == [("g", "outer"), ("a", "waits")]
    assert new[1][3] >= 0.02  # time spent awaiting counts (cProfile would not see it)


def test_targets_names_public_functions_defined_in_a_module() -> None:
    names = {name for _, name in profiled.targets("bench.profile_turn:*")}
    assert {"turn_sums", "summary", "main"} <= names
    assert "write_section" not in names and "_spawn" not in names  # imported, or private
