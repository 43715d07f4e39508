"""What a served model predicts, read over Rasa's HTTP API, to check the serving loader.

`bot.serving.model_loader` builds the TensorFlow models without Rasa's training step. To show it serves
the same model, bin/setup.sh records, right after training, what a Rasa server started with
Rasa's own loader predicts (`python -m tests.support.serving_probe RECORD_FILE`): intents with
confidences, FAQ answers, and the next-action scores of every policy along a conversation. The
test `tests/serving/test_model_loader.py` asks a stack started with the serving loader the same
questions and compares.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bot.stack import MODEL, Stack, StackConfig

RECORD = MODEL.with_name(".stock_loader_predictions.json")
# Messages that reach every TensorFlow model: DIET (intents), the ResponseSelector (FAQ), the
# red-flag net after them, and TED along a conversation (each is added to one tracker).
MESSAGES = (
    "hi there",
    "what can you do",
    "is it safe to lift weights with osteoporosis",
    "how often should I train",
    "my back is a bit sore today, maybe a 3",
    "what's my workout today",
    "done, it felt like a 6 out of 10",
    "why did you pick those exercises",
    "I'm really tired this week",
    "I fell on the ice and now my hip hurts a lot",
    "can I do yoga or pilates",
    "remind me at 7:30 every morning",
    "not today",
    "I want to talk to a real person",
    "thanks, bye",
)
DIGITS = 4  # TensorFlow on one CPU repeats itself exactly; rounding only shortens the file


def _ranking(items: list[dict[str, Any]], key: str) -> list[list[Any]]:
    return [[item[key], round(float(item["confidence"]), DIGITS)] for item in items]


def probe(rasa_url: str, token: str, sender: str) -> dict[str, Any]:
    """Parse each message, then add them one by one to `sender`'s conversation and ask for the
    next action's scores after each."""
    out: dict[str, Any] = {"parse": [], "predict": []}
    with httpx.Client(base_url=rasa_url, params={"token": token}, timeout=60) as http:
        for text in MESSAGES:
            parsed = http.post("/model/parse", json={"text": text}).raise_for_status().json()
            faq = parsed.get("response_selector", {}).get("faq", {}).get("ranking", [])
            out["parse"].append({
                "text": text,
                "intents": _ranking(parsed["intent_ranking"], "name"),
                "faq": _ranking(faq, "intent_response_key"),
            })
        for text in MESSAGES:
            http.post(f"/conversations/{sender}/messages",
                      json={"text": text, "sender": "user"}).raise_for_status()
            predicted = http.post(f"/conversations/{sender}/predict").raise_for_status().json()
            scores = sorted(predicted["scores"], key=lambda s: (-s["score"], s["action"]))[:5]
            out["predict"].append({
                "after": text,
                "policy": predicted.get("policy"),
                "scores": [[s["action"], round(float(s["score"]), DIGITS)] for s in scores],
            })
    return out


def record(path: Path = RECORD, model: Path = MODEL) -> None:
    """Start a Rasa server with Rasa's own loader and write what it predicts to `path`."""
    with tempfile.TemporaryDirectory() as folder:
        token = secrets.token_hex(16)
        config = StackConfig(database_url=f"sqlite:///{folder}/probe.db", run_dir=Path(folder),
                             api_token=token, model=model, rasa_module="rasa")
        with Stack(config) as stack:
            result = probe(stack.rasa_url, token, sender="serving-probe")
    path.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else RECORD)
