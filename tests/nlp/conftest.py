"""Fixtures for the local NLP tests: one spaCy pipeline built by the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session with `python -m bot.nlp.build_pipeline`, as bin/setup.sh does."""
    path = tmp_path_factory.mktemp("spacy") / "bone_coach_en"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(
        [sys.executable, "-m", "bot.nlp.build_pipeline", str(path)],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="session")
def nlp(pipeline_dir: Path) -> Language:
    return spacy.load(pipeline_dir)
