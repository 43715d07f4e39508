"""What each serving speed-up is worth under load: the stack with all of them, then with one left out.

Run: `nice -n 5 .venv/bin/python -m bench.serving_ab [--rounds N] [--seconds S] [--without NAME …]`.
A speed-up that makes one turn faster can cost more than it saves when 20 conversations share two
cores (a thread that competes for the GIL, a pool thread that spins). Each variant is the real
stack (REST channel, action server, a fresh SQLite session database and SQL tracker store, as
bin/run) with the Rasa server started through bench.serving_variant; 20 onboarded senders then talk
at once. The variants take turns, in reverse order every other round, so a slow spell of this
host's CPU is shared out rather than landing on one variant. Writes its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.report import write_section
from bench.run import CONVERSATION, cpu_probe_seconds, machine, percentile
from bench.versus_moodbot import CONCURRENT, Bot, Running, load_round, onboard
from bot.db.engine import ensure_schema, make_engine
from bot.serving import SPEED_UPS
from bot.stack import MODEL, ROOT, Stack, StackConfig

SECTION = "Serving speed-ups under load, each left out in turn (issue 17)"
LOGS = ROOT / "var" / "serving_ab"
# The speed-ups of this stop by default (any of bot.serving.SPEED_UPS can be named).
DEFAULT_WITHOUT = ("tracker_copy", "graph_runs")


@dataclass
class Variant:
    without: str  # "" for the whole set
    control: bool = False  # the whole set measured a second time: how far two runs of one stack differ
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    rasa_cpu_ms: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.without:
            return f"without {self.without}"
        return "all speed-ups, again (control)" if self.control else "all speed-ups"


def measure(variant: Variant, database_url: str, seconds: float) -> None:
    """One start of the stack as `variant`, 20 conversations for `seconds`."""
    config = StackConfig(database_url=database_url, run_dir=LOGS / variant.name.replace(" ", "_"),
                         model=MODEL, rasa_module="bench.serving_variant",
                         env={"BENCH_SERVING_WITHOUT": variant.without})
    stack = Stack(config)
    stack.start()
    running = Running(Bot(variant.name, lambda _token: stack, CONVERSATION, onboard), stack, token="", starts=[])
    try:
        load_round(running, seconds)  # the senders onboarded first, not measured (bench.versus_moodbot)
    finally:
        stack.stop()
    problems = [f"{text}: {count}" for load in running.loads for text, count in load.problems.items()]
    if problems:
        raise RuntimeError(f"{variant.name}: {problems} (logs: {config.run_dir})")
    spell = running.loads[-1]
    variant.rates.append(spell.rate)
    variant.latencies += spell.latencies
    variant.rasa_cpu_ms.append(running.cpu["rasa"] * 1000 / len(spell.latencies))
    progress(f"{variant.name}: {variant.rates[-1]:.1f} msgs/s, "
             f"Rasa server CPU {variant.rasa_cpu_ms[-1]:.1f} ms a message")


def progress(text: str) -> None:
    print(f"[serving_ab {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0, help="load per measurement")
    parser.add_argument("--without", nargs="*", default=list(DEFAULT_WITHOUT),
                        help="speed-ups to leave out, one a variant")
    args = parser.parse_args(argv)
    began, load_average, probe = time.perf_counter(), os.getloadavg()[0], cpu_probe_seconds()
    unknown = set(args.without) - set(SPEED_UPS)
    if unknown:
        parser.error(f"no such speed-up: {', '.join(sorted(unknown))} (bot.serving.SPEED_UPS: {', '.join(SPEED_UPS)})")
    variants = [Variant(""), Variant("", control=True), *(Variant(name) for name in args.without)]
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(database_url)
        ensure_schema(engine)
        engine.dispose()
        for round_number in range(args.rounds):
            for variant in variants if round_number % 2 == 0 else reversed(variants):
                measure(variant, database_url, args.seconds)
    whole = statistics.median(variants[0].rates)
    lines = [
        f"Written by `nice -n {os.nice(0)} .venv/bin/python -m bench.serving_ab` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. {machine()}; CPU probe (sum of 10^7 squares, "
        f"median of 5) {probe:.2f} s; load average before the run {load_average:.1f}; the run took "
        f"{(time.perf_counter() - began) / 60:.1f} min.", "",
        f"{CONCURRENT} onboarded senders talking at once for {args.seconds:.0f} s (bench.run's conversation), "
        f"{args.rounds} rounds, the variants in turn. msgs/s is the median of the rounds; the latencies are "
        "pooled over them; CPU is the Rasa server's (all its threads) per message.", "",
        "| variant | msgs/s (each round) | vs all speed-ups | p50 / p95 ms | Rasa server CPU per message (ms) |",
        "|---|---|---|---|---|",
    ]
    for variant in variants:
        rate = statistics.median(variant.rates)
        lines.append(
            f"| {variant.name} | {rate:.1f} ({', '.join(f'{r:.1f}' for r in variant.rates)}) | {rate / whole:.2f}× "
            f"| {statistics.median(variant.latencies) * 1000:.0f} / {percentile(variant.latencies, 95) * 1000:.0f} "
            f"| {statistics.median(variant.rasa_cpu_ms):.1f} |")
    lines.append("")
    write_section(SECTION, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
