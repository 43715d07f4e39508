"""Does the spelling corrector pay for itself? The model with and without it, on every held-out
set, and what it costs per parse (issue 11 item 8).

    .venv/bin/python -m bench.spelling_eval [--out /tmp/spell_models]

Trains two models (niced, one at a time, into --out, never into models/): config.yml as it is
(bot.nlp.spelling.SpellingCorrector after the SpacyTokenizer) and config.yml without it. Both
are trained from one snapshot of config.yml, data/ and domain.yml, so a concurrent edit cannot
tilt the comparison. Prints the tables and writes them to BENCHMARKS.md (--no-write: print only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bench.nlu_eval import SETS, evaluate
from bench.report import write_section
from bench.run import percentile

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = "bot.nlp.spelling.SpellingCorrector"
RASA = str(Path(sys.executable).parent / "rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
       "PYTHONHASHSEED": "0"}


def config_variant(snapshot: Path, path: Path, corrector: bool) -> Path:
    """The snapshot's config.yml with the corrector right after the SpacyTokenizer, or without."""
    config = yaml.safe_load((snapshot / "config.yml").read_text())
    config["pipeline"] = [step for step in config["pipeline"] if step["name"] != COMPONENT]
    if corrector:
        names = [step["name"] for step in config["pipeline"]]
        config["pipeline"].insert(names.index("SpacyTokenizer") + 1, {"name": COMPONENT})
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def train(config: Path, snapshot: Path, out: Path, name: str) -> tuple[Path, float]:
    """`rasa train` at nice 10 from the repository root (the spaCy path in config is relative)."""
    started = time.perf_counter()
    subprocess.run(
        ["nice", "-n", "10", RASA, "train", "--config", str(config), "--domain",
         str(snapshot / "domain.yml"), "--data", str(snapshot / "data"), "--out", str(out),
         "--fixed-model-name", name, "--quiet"],
        cwd=ROOT, env={**ENV, "RASA_CACHE_DIRECTORY": str(out / "cache")}, check=True,
    )
    return out / f"{name}.tar.gz", time.perf_counter() - started


def test_texts() -> list[str]:
    return [str(m.get("text")) for path in SETS.values() for m in load_data(str(path)).intent_examples]


def parse_latencies(agents: dict[str, Any], texts: list[str], warm_up: int = 20) -> dict[str, list[float]]:
    """Milliseconds per Agent.parse_message, the models taking turns so machine load hits both."""
    loop = asyncio.new_event_loop()
    for agent in agents.values():
        for text in texts[:warm_up]:
            loop.run_until_complete(agent.parse_message(text))
    timings: dict[str, list[float]] = {name: [] for name in agents}
    for text in texts:
        for name, agent in agents.items():
            started = time.perf_counter()
            loop.run_until_complete(agent.parse_message(text))
            timings[name].append((time.perf_counter() - started) * 1000)
    loop.close()
    return timings


def stored_vocabulary(model: Path) -> list[str]:
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/vocabulary.json"))
        handle = archive.extractfile(member)
        assert handle is not None
        return list(json.load(handle))


def corrections(model: Path, texts: list[str]) -> tuple[dict[str, int], list[float]]:
    """How often the trained corrector changes a word, and its own cost per message (cold cache)."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.constants import SPACY_DOCS
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.nlu.utils.spacy_utils import SpacyNLP
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlp.spelling import SpellingCorrector

    config = yaml.safe_load((model.parent / "inputs" / "config.yml").read_text())
    spacy_model = SpacyNLP.load_model(str(ROOT / config["pipeline"][0]["model"]))
    tokenizer = SpacyTokenizer(SpacyTokenizer.get_default_config())
    corrector = SpellingCorrector(SpellingCorrector.get_default_config(),
                                  LocalModelStorage(model.parent / "scratch"), Resource("spelling"),
                                  stored_vocabulary(model))
    counts = {"messages": 0, "words": 0}
    costs = []
    for text in texts:
        message = Message(data={TEXT: text})
        message.set(SPACY_DOCS[TEXT], spacy_model.model(text))
        tokenizer.process([message])
        started = time.perf_counter()
        changes = corrector.correct_message(message, spacy_model)
        costs.append((time.perf_counter() - started) * 1000)
        counts["messages"] += bool(changes)
        counts["words"] += len(changes)
    return counts, costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/spell_models"))
    parser.add_argument("--latency-messages", type=int, default=300)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    out: Path = args.out
    snapshot = out / "inputs"
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(ROOT / "data", snapshot / "data")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, snapshot / name)
    without, without_seconds = train(config_variant(snapshot, out / "config_plain.yml", False),
                                     snapshot, out, "without-spelling")
    with_model, with_seconds = train(config_variant(snapshot, out / "config_spelling.yml", True),
                                     snapshot, out, "with-spelling")

    from rasa.core.agent import Agent

    agents = {"without": Agent.load(str(without)), "with": Agent.load(str(with_model))}
    quality = {name: evaluate(agent) for name, agent in agents.items()}
    texts = test_texts()
    timings = parse_latencies(agents, texts[: args.latency_messages])
    counts, costs = corrections(with_model, texts)

    lines = ["| set | model | accuracy | macro-F1 | red-flag recall | right | clarifying | wrong |",
             "|---|---|---|---|---|---|---|---|"]
    for set_name in SETS:
        for name in agents:
            r = quality[name][set_name]
            lines.append(f"| {set_name} ({int(r['examples'])}) | {name} | {r['accuracy']:.3f} | "
                         f"{r['macro_f1']:.3f} | {r['red_flag_recall']:.3f} | {r['right']:.1%} | "
                         f"{r['clarify']:.1%} | {r['wrong']:.1%} |")
    lines += ["", "| model | parse p50 ms | parse p95 ms | training s |", "|---|---|---|---|"]
    for name, seconds in (("without", without_seconds), ("with", with_seconds)):
        lines.append(f"| {name} | {percentile(timings[name], 50):.1f} | {percentile(timings[name], 95):.1f} | "
                     f"{seconds:.0f} |")
    lines += ["", f"Corrector alone over {len(texts)} test messages (cold cache): "
              f"p50 {percentile(costs, 50):.3f} ms, p95 {percentile(costs, 95):.3f} ms, "
              f"max {max(costs):.1f} ms; {counts['words']} words corrected in {counts['messages']} messages.",
              f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {platform.machine()}, "
              f"`python -m bench.spelling_eval`."]
    print("\n".join(lines))
    if not args.no_write:
        write_section("Spelling corrector (issue 11)", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
