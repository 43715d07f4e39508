"""Local language pieces: the spaCy pipeline build, entity-value parsing, the red-flag guard.

The entity rules file is shared: the pipeline build turns it into spaCy patterns and the
parsers read its value lists back, so a phrase is added in one place.
"""

from __future__ import annotations

from bot.content.loader import entity_patterns


def entity_values(label: str) -> dict[str, tuple[str, ...]]:
    """Canonical value -> phrases for one entity label (empty when the label has none)."""
    values = entity_patterns()["labels"][label].get("values") or {}
    return {str(key): tuple(str(p) for p in phrases) for key, phrases in values.items()}
