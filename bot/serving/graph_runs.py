"""Runs the model's graph for one message or one prediction without rebuilding its plan each time.

Rasa 3.6 (`DaskGraphRunner.run`) works out, on every run, which nodes the targets need (a
recursive walk without memo), builds a dask graph of them, and has dask order and execute it:
three or more runs a turn (the NLU, then one per predicted action). The nodes needed and their
order depend only on the targets, so they are worked out once per target list; the nodes are then
called one after the other, each with its parents' `(name, output)` pairs, as dask's synchronous
scheduler calls them. Every node and hook is Rasa's own; only the bookkeeping around them goes.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

_RASA_RUN = DaskGraphRunner.run
Step = tuple[str, GraphNode, tuple[str, ...]]


def plan(schema: GraphSchema, nodes: dict[str, GraphNode], targets: tuple[str, ...]) -> tuple[Step, ...]:
    """Every node the targets depend on, each after its parents."""
    ordered: list[Step] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in schema.nodes:  # not a node: an input the caller passes
            return
        seen.add(name)
        needs = tuple(schema.nodes[name].needs.values())
        for parent in needs:
            visit(parent)
        ordered.append((name, nodes[name], needs))

    for target in targets:
        visit(target)
    return tuple(ordered)


def run(runner: DaskGraphRunner, inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None) -> dict[str, Any]:
    """`DaskGraphRunner.run` with the plan cached per target list (same nodes, same outputs)."""
    run_targets = tuple(targets or runner._graph_schema.target_names)
    plans: dict[tuple[str, ...], tuple[Step, ...]] = runner.__dict__.setdefault("_bone_coach_plans", {})
    steps = plans.get(run_targets)
    if steps is None:
        steps = plans[run_targets] = plan(runner._graph_schema, runner._instantiated_nodes, run_targets)
    outputs: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and any(value == step[0] for step in steps):
            raise GraphRunError(f"Input value '{value}' clashes with a node name.")
        outputs[name] = (name, value)
    try:
        for name, node, needs in steps:
            # A need nobody provides reaches the node as its bare name, as dask passes it.
            outputs[name] = node(*(outputs.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(outputs[target] for target in run_targets)


def install() -> None:
    DaskGraphRunner.run = run  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    DaskGraphRunner.run = _RASA_RUN  # type: ignore[method-assign]
