"""Every dialogue flow as a Rasa test story, run against the trained model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.stack import MODEL

pytestmark = pytest.mark.slow  # `rasa test` loads the trained model

ROOT = Path(__file__).resolve().parents[2]


def test_all_test_stories_pass(tmp_path: Path) -> None:
    # `rasa test core`, with the serving loader the Rasa server uses (bot/rasa_main.py).
    result = subprocess.run(
        [sys.executable, "-m", "bot.rasa_main", "test", "core", "--model", str(MODEL),
         "--stories", str(ROOT / "tests" / "stories"),
         "--fail-on-prediction-errors", "--out", str(tmp_path), "--no-plot"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT),
             "PATH": str(Path(sys.executable).parent), "HOME": str(Path.home())},
    )
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
    assert "None of the test stories failed" in failed.read_text()
