"""Cold training time of Rasa configs, interleaved, into BENCHMARKS.md (issue 17: ≤ 2 minutes).

    .venv/bin/python -m bench.training --config config.yml --config other.yml [--rounds 2]

Each round trains every config once, in turn, as bin/setup.sh trains (`rasa train
--skip-validation`, an empty Rasa cache each time), so a change of the host's speed during the run
touches every config alike. The first config is the reference of the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
from datetime import datetime, timezone
from pathlib import Path

from bench.report import write_section
from bench.run import cpu_probe_seconds, machine, train_seconds

SECTION = "Training time (issue 17)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, action="append", required=True, help="a Rasa config (repeat)")
    parser.add_argument("--label", action="append", help="what each config is, in order")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    labels = args.label or [str(c) for c in args.config]
    if len(labels) != len(args.config):
        parser.error("give one --label per --config")
    probe_before = cpu_probe_seconds()
    load = os.getloadavg()[0]
    seconds: dict[Path, list[float]] = {c: [] for c in args.config}
    for round_ in range(args.rounds):
        for config in args.config:
            seconds[config].append(train_seconds(config.resolve()))
            print(f"round {round_ + 1}: {config}: {seconds[config][-1]:.1f} s", flush=True)
    probe_after = cpu_probe_seconds()
    reference = statistics.median(seconds[args.config[0]])
    lines = [
        f"Written by `.venv/bin/python -m bench.training` ({args.rounds} rounds) on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. {machine()}; CPU probe (sum of 10^7 squares, "
        f"median of 5) {probe_before:.2f} s before, {probe_after:.2f} s after; load average before {load:.1f}.",
        "",
        "| config | cold `rasa train --skip-validation`, each round | median | ratio |",
        "|---|---|---|---|",
    ]
    for config, label in zip(args.config, labels, strict=False):
        median = statistics.median(seconds[config])
        runs = ", ".join(f"{s:.0f} s" for s in seconds[config])
        lines.append(f"| {label} (`{config}`) | {runs} | {median:.0f} s | {median / reference:.2f}× |")
    print("\n".join(lines))
    if not args.no_write:
        write_section(SECTION, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
