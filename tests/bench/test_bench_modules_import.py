"""Every benchmark script still imports: they are run by hand, so nothing else notices when a
module they use moves (bench.telegram_transcript once broke that way)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
LIBRARIES = {"report"}  # shared by the scripts, no main() of its own


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__"))
def test_the_benchmark_module_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert name in LIBRARIES or callable(getattr(module, "main", None)), f"bench.{name} has no main()"
