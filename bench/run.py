"""Benchmarks for Bone Coach; writes BENCHMARKS.md. Run: `.venv/bin/python -m bench.run [--train]`.

Measures, on this machine: training time, model load time, Rasa server and action server memory,
/model/parse latency, held-out NLU quality, and message -> reply latency through the whole stack
(REST channel, action server, SQLite session database) with 1 and 20 concurrent conversations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rasa.shared.nlu.training_data.loading import load_data

from bench.report import write_section
from bot.chat import send
from bot.stack import MODEL, ROOT, Stack, StackConfig

RASA = str(Path(sys.executable).parent / "rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms / {percentile(values, 95) * 1000:.1f} ms"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


def cpu_probe_seconds(runs: int = 5) -> float:
    """A fixed pure-Python loop, median of `runs`: shared cloud cores differ from day to day,
    and this says how fast this one was while the rest was measured."""
    def once() -> float:
        started = time.perf_counter()
        sum(i * i for i in range(10**7))
        return time.perf_counter() - started

    return statistics.median(once() for _ in range(runs))


def train_seconds(config: Path = ROOT / "config.yml") -> float:
    """A cold training run (empty Rasa cache) into a temporary folder, as bin/setup.sh trains."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [RASA, "train", "--config", str(config), "--domain", "domain.yml", "--data", "data",
             "--out", out, "--quiet", "--skip-validation"],
            cwd=ROOT, env={**ENV, "RASA_CACHE_DIRECTORY": str(Path(out) / "cache")},
            check=True, capture_output=True,
        )
        return time.perf_counter() - started


def load_seconds(runs: int = 3) -> list[float]:
    code = (
        "import time; t=time.perf_counter(); from rasa.core.agent import Agent; "
        f"Agent.load({str(MODEL)!r}); print(time.perf_counter()-t)"
    )
    return [
        float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1])
        for _ in range(runs)
    ]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def parse(url: str, token: str, text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/model/parse?token={token}", data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.load(response))


def label(result: dict[str, Any]) -> str:
    if result["intent"]["name"] == "faq":
        key = result.get("response_selector", {}).get("faq", {}).get("response", {})
        return str(key.get("intent_response_key") or "faq")
    return str(result["intent"]["name"])


def nlu_quality(predictions: list[tuple[str, str]]) -> dict[str, float]:
    intents = {gold for gold, _ in predictions}
    f1s = []
    for intent in intents:
        tp = sum(g == p == intent for g, p in predictions)
        fp = sum(p == intent != g for g, p in predictions)
        fn = sum(g == intent != p for g, p in predictions)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    red = [(g, p) for g, p in predictions if g == "red_flag"]
    return {
        "accuracy": sum(g == p for g, p in predictions) / len(predictions),
        "macro_f1": sum(f1s) / len(f1s),
        "red_flag_recall": sum(p == "red_flag" for _, p in red) / len(red),
        "examples": len(predictions),
    }


CONVERSATION = [
    "hi", "/ask_todays_workout", "is walking enough for my bones", "/checkin_done", "effort 6",
    "pain 1/10", "how am i doing", "my knee hurts a 3", "thanks", "bye",
]


def conversation_latencies(url: str, conversations: int, rounds: int) -> tuple[list[float], float]:
    """Each conversation sends CONVERSATION `rounds` times; returns latencies and msgs/s."""

    def one(_: int) -> list[float]:
        sender = str(secrets.randbelow(10**9) + 10**9)
        out = []
        for _round in range(rounds):
            for text in CONVERSATION:
                started = time.perf_counter()
                replies = send(url, sender, text, {"first_name": "Bench"})
                out.append(time.perf_counter() - started)
                assert replies, f"no reply to {text!r}"
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(conversations) as pool:
        latencies = [x for chunk in pool.map(one, range(conversations)) for x in chunk]
    return latencies, len(latencies) / (time.perf_counter() - started)


def stage_latencies(url: str, token: str, repeats: int = 30) -> dict[str, list[float]]:
    """The same turn measured at growing depth: NLU only, NLU + dialogue with a static reply,
    and NLU + dialogue + action server + session database + rules engine."""
    sender = str(secrets.randbelow(10**9) + 10**9)
    for text in ["/start", "yes", "new", "no", "0", "okay", "2", "2", "mon wed fri", "8am", "chair"]:
        send(url, sender, text, {"first_name": "Bench"})
    stages: dict[str, list[float]] = {
        "NLU only (/model/parse)": [], "static reply (greet)": [], "action + DB + engine (/today)": [],
    }
    for _ in range(repeats):
        for name, call in (
            ("NLU only (/model/parse)", lambda: parse(url, token, "what do I do today")),
            ("static reply (greet)", lambda: send(url, sender, "hello there", {})),
            ("action + DB + engine (/today)", lambda: send(url, sender, "/ask_todays_workout", {})),
        ):
            started = time.perf_counter()
            call()
            stages[name].append(time.perf_counter() - started)
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", action="store_true", help="also time a cold training run")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = [("machine", machine()),
                                   ("CPU probe: sum of 10^7 squares in Python, median of 5 (lower is faster)",
                                    f"{cpu_probe_seconds():.2f} s")]

    if args.train:
        rows.append(("training, cold cache (s)", f"{train_seconds():.0f}"))
    elif (ROOT / "models" / ".train_seconds").exists():
        rows.append(("training by bin/setup.sh, last run (s)",
                     (ROOT / "models" / ".train_seconds").read_text().strip()))
    loads = load_seconds()
    rows.append(("model load, Agent.load (median of 3)", f"{statistics.median(loads):.1f} s"))

    holdout = [(m.get("text"), m.get_full_intent())
               for m in load_data(str(ROOT / "tests" / "nlu_holdout.yml")).intent_examples]
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as folder:
        config = StackConfig(database_url=f"sqlite:///{folder}/bench.db", run_dir=Path(folder),
                             api_token=token)
        started = time.perf_counter()
        with Stack(config) as stack:
            rows.append(("stack start-up to ready (action + Rasa server)",
                         f"{time.perf_counter() - started:.1f} s"))
            for text, _ in holdout[:20]:
                parse(stack.rasa_url, token, text)  # warm-up
            parse_times, predictions = [], []
            for text, gold in holdout:
                t0 = time.perf_counter()
                result = parse(stack.rasa_url, token, text)
                parse_times.append(time.perf_counter() - t0)
                predictions.append((gold, label(result)))
            rows.append((f"/model/parse p50 / p95 ({len(parse_times)} requests)", ms(parse_times)))
            quality = nlu_quality(predictions)
            rows.append(("held-out intent accuracy", f"{quality['accuracy']:.3f} ({quality['examples']} examples)"))
            rows.append(("held-out macro-F1", f"{quality['macro_f1']:.3f}"))
            rows.append(("held-out red-flag recall", f"{quality['red_flag_recall']:.3f}"))

            for name, latencies in stage_latencies(stack.rasa_url, token).items():
                rows.append((f"where the time goes: {name}, p50 / p95", ms(latencies)))
            one, one_rate = conversation_latencies(stack.rasa_url, 1, 5)
            rows.append((f"message -> reply, 1 conversation, p50 / p95 ({len(one)} msgs)", ms(one)))
            rows.append(("sustained, 1 conversation (msgs/s)", f"{one_rate:.1f}"))
            many, many_rate = conversation_latencies(stack.rasa_url, 20, 2)
            rows.append((f"message -> reply, 20 concurrent conversations, p50 / p95 ({len(many)} msgs)",
                         ms(many)))
            rows.append(("sustained, 20 concurrent conversations (msgs/s)", f"{many_rate:.1f}"))
            rss = {name: rss_mb(proc.pid) for name, proc in stack.procs.items()}
            rows.append(("RSS Rasa server after load", f"{rss['rasa']:.0f} MB"))
            rows.append(("RSS action server after load", f"{rss['actions']:.0f} MB"))
            rows.append(("RSS whole stack", f"{sum(rss.values()):.0f} MB"))

    lines = [
        f"Written by `.venv/bin/python -m bench.run{' --train' if args.train else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Embedded default: SQLite, one Rasa "
        "server, one action server, REST channel. Latencies are wall-clock from the client.", "",
        "| measure | value |", "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows], "",
    ]
    write_section("Embedded default: one Rasa server, SQLite", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
