"""BENCHMARKS.md is shared by several benchmark scripts: each replaces only its own section."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def write_section(title: str, lines: Sequence[str], path: Path = BENCHMARKS) -> None:
    """Replace (or append) the `## title` section, keeping the rest of the file."""
    heading = f"## {title}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    body = "\n".join([heading, "", *lines]).rstrip() + "\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: body + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + body
    path.write_text(text)
