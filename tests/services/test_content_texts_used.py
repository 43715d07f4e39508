"""Every client-facing text in bot/content/messages.yml is sent by some code: a text no code
sends is a promise nobody keeps, and an edit to it changes nothing a client sees."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_text_in_messages_yml_is_named_by_the_code() -> None:
    keys = yaml.safe_load((ROOT / "bot" / "content" / "messages.yml").read_text())
    code = "".join(p.read_text() for folder in ("bot", "actions") for p in (ROOT / folder).rglob("*.py"))
    # Named as a key ("plan_footer") or read through the loader (messages().plan_footer).
    unused = [k for k in keys if not re.search(rf"""["']{k}["']|\bmessages\(\)\.{k}\b""", code)]
    assert unused == []
