"""bot.serving.install: every speed-up by default; a benchmark may leave named ones out, never a misspelt one."""

from __future__ import annotations

from types import ModuleType

import pytest
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.trackers import DialogueStateTracker

from bot import serving
from bot.serving import graph_runs, tracker_copy


@pytest.mark.parametrize(("module", "owner", "name"), [(graph_runs, DaskGraphRunner, "run"),
                                                        (tracker_copy, DialogueStateTracker, "copy")])
def test_a_speed_up_installs_and_uninstalls(module: ModuleType, owner: type, name: str) -> None:
    rasas = getattr(owner, name)
    try:
        module.install()
        assert getattr(owner, name) is not rasas
    finally:
        module.uninstall()
    assert getattr(owner, name) is rasas


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
