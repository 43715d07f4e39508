"""bot.serving.install: every speed-up by default; a benchmark may leave named ones out, never a misspelt one."""

from __future__ import annotations

import pytest
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.trackers import DialogueStateTracker

from bot import serving
from bot.serving import graph_runs, tracker_copy


def test_named_speed_ups_are_left_out_and_unknown_names_refused() -> None:
    try:
        serving.install(without=frozenset(serving.SPEED_UPS) - {"graph_runs"})
        assert DaskGraphRunner.run is graph_runs.run
        assert DialogueStateTracker.copy is tracker_copy._RASA_COPY
        with pytest.raises(ValueError, match="no such serving speed-up"):
            serving.install(without=frozenset({"tensorflow_threads"}))
    finally:
        graph_runs.uninstall()
        tracker_copy.uninstall()
