"""No import cycle between the parts of `bot`: each subpackage (bot.telegram, bot.coach_desk,
bot.scheduler, bot.services, bot.db, bot.coaching, bot.nlp, …) and each top-level module
(bot.cli, bot.chat, …) is one node; an import anywhere in a file, inside a function or under
TYPE_CHECKING too, is an edge. Read with ast, nothing is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.settings import REPO_ROOT

Edge = tuple[str, str, str]  # from part, to part, where ("bot/telegram/channel.py:38")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str, root: Path) -> str | None:
    """The node a module belongs to: "bot.telegram.channel" -> "bot.telegram", "bot.cli" ->
    "bot.cli"; None outside the package (or for the package's own __init__)."""
    names = module.split(".")
    if names[0] != root.name or len(names) < 2:
        return None
    top = root / names[1]
    return f"{root.name}.{names[1]}" if top.is_dir() or top.with_suffix(".py").is_file() else None


def imported_modules(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """What one import statement names (relative imports resolved; `from bot import cli` names
    bot.cli)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)


def import_edges(root: Path) -> list[Edge]:
    """Every import from one part of the package `root` to another."""
    edges = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        source = part_of(module, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = {part_of(name, root) for name in imported_modules(node, module, path.name == "__init__.py")}
            for target in sorted(t for t in targets if t is not None and t != source):
                if source is not None:
                    edges.append((source, target, f"{path.relative_to(root.parent)}:{node.lineno}"))
    return edges


def cycles(edges: list[Edge]) -> list[list[str]]:
    """The strongly connected groups of more than one part (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for source, target, _ in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(group: list[str], edges: list[Edge]) -> str:
    inside = [f"  {s} -> {t} ({where})" for s, t, where in edges if s in group and t in group]
    return " <-> ".join(group) + "\n" + "\n".join(inside)


def test_the_parts_of_bot_import_each_other_in_one_direction_only() -> None:
    edges = import_edges(REPO_ROOT / "bot")
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(describe(g, edges) for g in found)


def test_the_walk_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    """The checker itself: two packages held together by a function-local import (the shape
    bot.telegram and bot.coach_desk had) are a cycle; a top-level module in it is too."""
    root = tmp_path / "bot"
    for package in ("channel", "desk"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "channel" / "io.py").write_text("from bot.desk import hook\n")
    (root / "desk" / "hook.py").write_text("def f():\n    from ..channel import io\n    return io\n")
    (root / "report.py").write_text("from bot import desk\n")
    (root / "desk" / "uses.py").write_text("if True:\n    import bot.report\n")
    (root / "channel" / "inner.py").write_text("from . import io\n")

    edges = import_edges(root)

    assert {(s, t) for s, t, _ in edges} == {
        ("bot.channel", "bot.desk"), ("bot.desk", "bot.channel"),
        ("bot.report", "bot.desk"), ("bot.desk", "bot.report"),
    }
    assert cycles(edges) == [["bot.channel", "bot.desk", "bot.report"]]
    assert ("bot.desk", "bot.channel", "bot/desk/hook.py:2") in edges
