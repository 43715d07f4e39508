"""Build the local spaCy pipeline that Rasa's SpacyNLP loads (no pretrained model is available).

blank English + lookup lemmatizer (tables from spacy-lookups-data, saved with the pipeline)
+ an entity ruler whose patterns come from bot/content/entity_patterns.yml.

    python -m bot.nlp.build_pipeline var/spacy/bone_coach_en
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from bot.content.loader import entity_patterns as entity_rules

PIPELINE_NAME = "bone_coach_local"
PIPELINE_VERSION = "1.0.0"
LABELS = ("pain_score", "effort", "body_part", "exercise", "time", "weekday", "equipment")

Spec = dict[str, Any]


def _phrase_variants(phrase: str) -> list[str]:
    """A hyphenated phrase is also written spaced or joined: push-up, push up, pushup."""
    if "-" not in phrase:
        return [phrase]
    return [phrase, phrase.replace("-", " "), phrase.replace("-", "")]


def _phrase_patterns(nlp: Language, phrases: Iterable[str]) -> list[list[Spec]]:
    """One LOWER token pattern per phrase variant, tokenised the way messages are."""
    seen: set[tuple[str, ...]] = set()
    patterns = []
    for phrase in phrases:
        for variant in _phrase_variants(phrase):
            words = tuple(token.lower_ for token in nlp.make_doc(variant))
            if words not in seen:
                seen.add(words)
                patterns.append([{"LOWER": word} for word in words])
    return patterns


def _expand(item: Any, tokens: dict[str, Any]) -> list[Spec]:
    """Resolve one pattern item: a token name, a plain word, or a spaCy token spec."""
    if isinstance(item, dict):
        return [copy.deepcopy(item)]
    if isinstance(item, str) and item in tokens:
        named = tokens[item]
        if isinstance(named, list):
            return [spec for part in named for spec in _expand(part, tokens)]
        return [copy.deepcopy(named)]
    if isinstance(item, str):
        return [{"LOWER": item.lower()}]
    raise ValueError(f"pattern item {item!r} is neither a token name, a word nor a spec")


def _any_value_tokens(nlp: Language, labels: dict[str, Any]) -> dict[str, Spec]:
    """ANY_<LABEL>: any one-word phrase of that label's values (e.g. ANY_WEEKDAY)."""
    named = {}
    for label, rules in labels.items():
        words = {
            str(phrase).lower()
            for phrases in (rules.get("values") or {}).values()
            for phrase in phrases
            if len(nlp.make_doc(str(phrase))) == 1
        }
        if words:
            named[f"ANY_{label.upper()}"] = {"LOWER": {"IN": sorted(words)}}
    return named


def entity_patterns(nlp: Language, rules: dict[str, Any]) -> list[dict[str, Any]]:
    """Entity-ruler patterns (label + token pattern) from the rules file's contents."""
    labels = rules["labels"]
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown entity labels in the rules file: {sorted(unknown)}")
    tokens = {**rules.get("tokens", {}), **_any_value_tokens(nlp, labels)}
    patterns = []
    for label in LABELS:
        spec = labels.get(label, {})
        context_only = {str(p).lower() for p in spec.get("context_only", [])}
        phrases = [
            str(phrase)
            for group in (spec.get("values") or {}).values()
            for phrase in group
            if str(phrase).lower() not in context_only
        ]
        for pattern in _phrase_patterns(nlp, phrases):
            patterns.append({"label": label, "pattern": pattern})
        for items in spec.get("patterns", []):
            pattern = [token for item in items for token in _expand(item, tokens)]
            patterns.append({"label": label, "pattern": pattern})
    return patterns


def build_nlp() -> Language:
    """The pipeline in memory, in the order spaCy needs: lemmatizer, initialize(), then rules."""
    if importlib.util.find_spec("spacy_lookups_data") is None:
        raise RuntimeError("spacy-lookups-data is needed to build the pipeline: pip install it")
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() loads the lemma tables; patterns added before it could be wiped.
    nlp.initialize()
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    ruler.add_patterns(entity_patterns(nlp, entity_rules()))
    nlp.meta.update(
        name=PIPELINE_NAME,
        version=PIPELINE_VERSION,
        description="Bone Coach: blank English, lookup lemmas, rule-based entities.",
    )
    return nlp


def build_pipeline(output_dir: Path) -> None:
    """Build and save the pipeline; the folder is swapped in whole, never left half-written."""
    output_dir = Path(output_dir).resolve()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp = build_nlp()
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the Rasa server may run as another user
    try:
        nlp.to_disk(staging)
        if output_dir.exists():
            retired = staging.with_name(staging.name + ".old")
            output_dir.rename(retired)
            staging.rename(output_dir)
            shutil.rmtree(retired)
        else:
            staging.rename(output_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m bot.nlp.build_pipeline <output_dir>."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path, help="folder to write (replaced if present)")
    args = parser.parse_args(argv)
    build_pipeline(args.output_dir)
    print(f"spaCy pipeline '{PIPELINE_NAME}' written to {args.output_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
