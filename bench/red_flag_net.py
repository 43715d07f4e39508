"""The red-flag net on its independent challenge set, layer by layer, into BENCHMARKS.md.

    .venv/bin/python -m bench.red_flag_net          # score tests/red_flags_challenge.yml
    .venv/bin/python -m bench.red_flag_net --tune   # CV table the classifier thresholds are read from
    .venv/bin/python -m bench.red_flag_net --model  # also through the trained Rasa model (DIET + guard)

"Caught" counts the safety question: a red flag that gets the question is not let through.
Thresholds are tuned by cross-validation on the classifier's own training data, never on the
challenge set.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold

from bench.report import write_section
from bot.nlp.red_flag_classifier import RedFlagClassifier, dedicated_examples, training_examples
from bot.nlp.red_flag_rules import default_rules
from bot.nlp.safety_net import SafetyNet, SafetyVerdict, default_net

CHALLENGE = Path(__file__).resolve().parent.parent / "tests" / "red_flags_challenge.yml"


@dataclass(frozen=True)
class Outcome:
    """Shares over the challenge set for one way of deciding."""

    red_flags: int
    traps: int
    recall: float            # red flags caught (full flow or safety question)
    recall_full: float       # red flags given the full flow at once
    traps_full: float        # traps treated as a full red flag
    traps_ask: float         # traps given the safety question
    missed: tuple[str, ...]  # red flags let through


def load_challenge(path: Path = CHALLENGE) -> tuple[list[str], list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [r["text"] for r in data["red_flags"]], [t["text"] for t in data["traps"]]


def outcome(red_flags: list[str], traps: list[str], verdicts_rf: list[SafetyVerdict | None],
            verdicts_trap: list[SafetyVerdict | None]) -> Outcome:
    def share(items: list[bool]) -> float:
        return sum(items) / len(items) if items else 0.0
    return Outcome(
        red_flags=len(red_flags), traps=len(traps),
        recall=share([v is not None for v in verdicts_rf]),
        recall_full=share([v is not None and v.decision == "red_flag" for v in verdicts_rf]),
        traps_full=share([v is not None and v.decision == "red_flag" for v in verdicts_trap]),
        traps_ask=share([v is not None and v.decision == "ask" for v in verdicts_trap]),
        missed=tuple(t for t, v in zip(red_flags, verdicts_rf, strict=True) if v is None),
    )


def rules_only(text: str) -> SafetyVerdict | None:
    rules = default_rules()
    rule = rules.match(text)
    if rule is not None:
        return SafetyVerdict("red_flag", "rules", rule.id, rule.kind, 0.0)
    ask = rules.match_ask(text)
    return SafetyVerdict("ask", "ask_rules", ask.id, ask.kind, 0.0) if ask else None


def through_model(texts: list[str]) -> list[SafetyVerdict | None]:
    """The verdict as /model/parse gives it: DIET + ResponseSelector + fallback + guard."""
    from rasa.core.agent import Agent

    from bot.stack import MODEL

    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()
    verdicts: list[SafetyVerdict | None] = []
    for text in texts:
        parsed = loop.run_until_complete(agent.parse_message(text))
        guard = parsed.get("red_flag_guard")
        if parsed["intent"]["name"] != "red_flag":
            verdicts.append(None)
        else:
            decision = guard["decision"] if guard else "red_flag"
            verdicts.append(SafetyVerdict(decision, guard["layer"] if guard else "intent", None, None, 0.0))
    loop.close()
    return verdicts


def tune(folds: int = 5) -> list[tuple[float, float, float]]:
    """Out-of-fold scores on the classifier's own training data: for each candidate threshold,
    the share of red flags and of the hand-written traps scoring at or above it. The thresholds
    in red_flags.yml (`decision`) are read off this table, never off the challenge set."""
    examples = training_examples()
    texts, labels = np.array(examples.texts, dtype=object), np.array(examples.labels)
    own = dedicated_examples()
    dedicated_traps = {t for t, y in zip(own.texts, own.labels, strict=True) if not y}
    scores = np.zeros(len(texts))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=2026).split(texts, labels):
        model = RedFlagClassifier.train(
            type(examples)(tuple(texts[train]), tuple(bool(y) for y in labels[train])))
        scores[test] = model.scores(list(texts[test]))
    positives = scores[labels]
    traps = np.array([s for t, s in zip(texts, scores, strict=True) if t in dedicated_traps])
    return [(th, float((positives >= th).mean()), float((traps >= th).mean()))
            for th in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9)]


def _row(name: str, o: Outcome) -> str:
    return (f"| {name} | {o.recall:.1%} | {o.recall_full:.1%} | {o.traps_full:.1%} | "
            f"{o.traps_ask:.1%} | {len(o.missed)} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--model", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.tune:
        print("threshold | red flags at or above | traps at or above (5-fold CV, training data)")
        for threshold, recall, trap_share in tune():
            print(f"{threshold:.2f} | {recall:.1%} | {trap_share:.1%}")
        return 0
    red_flags, traps = load_challenge()
    net: SafetyNet = default_net()
    rows = {
        "phrase rules + grey-zone rules only": outcome(
            red_flags, traps, [rules_only(t) for t in red_flags], [rules_only(t) for t in traps]),
        "whole net (rules, classifier, grey zone)": outcome(
            red_flags, traps, [net.assess(t) for t in red_flags], [net.assess(t) for t in traps]),
    }
    if args.model:
        rows["through the trained model (/model/parse)"] = outcome(
            red_flags, traps, through_model(red_flags), through_model(traps))
    lines = [
        f"`.venv/bin/python -m bench.red_flag_net{' --model' if args.model else ''}`, "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}. "
        f"`tests/red_flags_challenge.yml`: {len(red_flags)} red flags and {len(traps)} keyword traps, "
        "written by a helper that never saw the training data or the rules "
        "(`tests/red_flags_challenge_README.md`). Caught = full red-flag flow or the safety question.",
        "",
        "| layers | red flags caught | of them at once | traps as full red flag | traps asked | red flags missed |",
        "|---|---|---|---|---|---|",
        *[_row(name, o) for name, o in rows.items()],
    ]
    for name, o in rows.items():
        print(_row(name, o))
        for text in o.missed:
            print(f"    missed: {text}")
    if not args.no_write:
        write_section("Red-flag net (issue 12)", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
