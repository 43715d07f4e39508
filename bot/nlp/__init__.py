"""Local language pieces: the spaCy pipeline build, entity-value parsing, the red-flag guard.

The entity rules file is shared: the pipeline build turns it into spaCy patterns and the
parsers read its value lists back, so a phrase is added in one place.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
ENTITY_PATTERNS_FILE = CONTENT_DIR / "entity_patterns.yml"


@lru_cache(maxsize=4)
def load_entity_rules(path: Path = ENTITY_PATTERNS_FILE) -> dict[str, Any]:
    """Read the entity rules file (cached: it is read-only content)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def entity_values(label: str) -> dict[str, tuple[str, ...]]:
    """Canonical value -> phrases for one entity label (empty when the label has none)."""
    values = load_entity_rules()["labels"][label].get("values") or {}
    return {str(key): tuple(str(p) for p in phrases) for key, phrases in values.items()}
