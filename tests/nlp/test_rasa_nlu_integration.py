"""The local pipeline and RedFlagGuard inside a real (tiny) Rasa NLU model, trained here.

A keyword classifier stands in for DIET so training takes seconds; SpacyNLP, SpacyTokenizer,
SpacyEntityExtractor and RedFlagGuard are the components config.yml uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.model_training import train_nlu

from bot.nlp.build_pipeline import LABELS

pytestmark = pytest.mark.slow  # trains and loads a (tiny) Rasa model

NLU_DATA = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
- intent: report_pain
  examples: |
    - hurts
    - sore
"""


@pytest.fixture(scope="module")
def agent(pipeline_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    work = tmp_path_factory.mktemp("rasa")
    config = {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "nlp-integration-test",
        "pipeline": [
            {"name": "SpacyNLP", "model": str(pipeline_dir)},
            {"name": "SpacyTokenizer"},
            {"name": "SpacyEntityExtractor", "dimensions": list(LABELS)},
            {"name": "KeywordIntentClassifier", "case_sensitive": False},
            {"name": "bot.nlp.red_flag_guard.RedFlagGuard"},
        ],
    }
    (work / "config.yml").write_text(yaml.safe_dump(config))
    (work / "nlu.yml").write_text(NLU_DATA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RASA_CACHE_DIRECTORY", str(work / "cache"))
        patch.setenv("RASA_TELEMETRY_ENABLED", "false")
        model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work / "models"))
        assert model is not None
        yield Agent.load(model)


def _parse(agent: Agent, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def test_entities_come_through_rasa_with_original_case(agent: Agent) -> None:
    parsed = _parse(agent, "My KNEE pain is 6/10, remind me at 7AM on Mondays")
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [
        ("body_part", "KNEE"),
        ("pain_score", "pain is 6/10"),
        ("time", "at 7AM"),
        ("weekday", "Mondays"),
    ]
    assert {e["extractor"] for e in parsed["entities"]} == {"SpacyEntityExtractor"}


def test_a_red_flag_comes_out_of_the_parse_as_red_flag(agent: Agent) -> None:
    parsed = _parse(agent, "hello, I fell and can't get up")
    assert parsed["intent"] == {"name": "red_flag", "confidence": 1.0}
    assert parsed["red_flag_guard"]["rule"] == "fall_cannot_get_up"
    assert parsed["red_flag_guard"]["overrode"] == "greet"


def test_ordinary_messages_keep_their_intent(agent: Agent) -> None:
    parsed = _parse(agent, "hello, my back is a bit sore")
    assert parsed["intent"]["name"] == "greet"
    assert "red_flag_guard" not in parsed
