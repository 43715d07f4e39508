"""The planned graph run (bot/serving/graph_runs.py) gives what Rasa's dask run gives, run after run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.serving import graph_runs

CALLS: list[str] = []


class Step(GraphComponent):
    """Joins what its parents give with its own name, and records that it ran."""

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Step:
        return cls(config["name"])

    def run(self, **parents: Any) -> str:
        CALLS.append(self.name)
        if "boom" in parents.values():
            raise ValueError("a component failed")
        return f"{self.name}({','.join(str(parents[key]) for key in sorted(parents))})"


def node(name: str, **needs: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Step, constructor_name="create", fn="run", config={"name": name},
                      eager=True)


# A diamond fed by an input, a branch no target needs, and a second target sharing a parent.
SCHEMA = GraphSchema({
    "tokens": node("tokens", text="__message__"),
    "left": node("left", x="tokens"),
    "right": node("right", x="tokens"),
    "joined": node("joined", a="left", b="right"),
    "unused": node("unused", x="tokens"),
    "other": node("other", a="right"),
    "orphan": node("orphan", x="__nobody_gives_this__"),
})


@pytest.fixture
def runner(tmp_path: Path) -> DaskGraphRunner:
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner(SCHEMA, storage, ExecutionContext(SCHEMA, "model"))


def both(runner: DaskGraphRunner, **kwargs: Any) -> tuple[tuple[Any, list[str]], tuple[Any, list[str]]]:
    """(outputs, nodes called) of Rasa's run and of ours, with the same arguments."""
    results = []
    for run in (graph_runs._RASA_RUN, graph_runs.run):
        CALLS.clear()
        try:
            outcome: Any = run(runner, **kwargs)
        except Exception as error:  # the same failure is part of the same behaviour
            outcome = (type(error), str(error))
        results.append((outcome, sorted(CALLS)))
    return results[0], results[1]


@pytest.mark.parametrize("targets", [["joined"], ["joined", "other"], ["other"], ["tokens"], None])
def test_same_outputs_and_same_nodes_run(runner: DaskGraphRunner, targets: list[str] | None) -> None:
    for text in ("hi", "my back hurts", "hi"):  # the plan is kept between runs
        rasa, ours = both(runner, inputs={"__message__": text}, targets=targets or ["joined", "other"])
        assert ours == rasa
    assert set(ours[0]) == set(targets or ["joined", "other"])
    if "joined" in ours[0]:
        assert ours[0]["joined"] == "joined(left(tokens(hi)),right(tokens(hi)))"
        assert "unused" not in ours[1] and "orphan" not in ours[1]


def test_a_need_nobody_provides_fails_as_in_rasa(runner: DaskGraphRunner) -> None:
    rasa, ours = both(runner, inputs={"__message__": "hi"}, targets=["orphan"])
    assert ours == rasa
    assert rasa[0][0] is GraphComponentException or rasa[0][0].__name__ == "GraphRunError"


def test_a_failing_component_fails_as_in_rasa(runner: DaskGraphRunner) -> None:
    rasa, ours = both(runner, inputs={"__message__": "boom"}, targets=["joined"])
    assert ours == rasa and rasa[0][0] is GraphComponentException


def test_an_input_named_like_a_node_is_refused(runner: DaskGraphRunner) -> None:
    rasa, ours = both(runner, inputs={"__message__": "left"}, targets=["joined"])
    assert ours[0][0] is rasa[0][0] and rasa[0][0].__name__ == "GraphRunError"

