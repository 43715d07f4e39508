"""Layer (a) of the red-flag net: the phrase rules of bot/content/red_flags.yml.

Deterministic and readable by a clinician. Each rule is tried on the normalised message and on
its lemma form, so a regex written for "fell" also catches "falling" and "falls" without
listing every word form by hand. The `ask` rules are the grey zone: a pain report with a cue
(a fall, a crack, a sudden onset, a high score in the back, hip or wrist) that earns the
safety question rather than the full red-flag flow.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.content.loader import CONTENT_DIR, read_yaml

RED_FLAGS_FILE = CONTENT_DIR / "red_flags.yml"


@cache
def _lemma_table() -> dict[str, str]:
    """spaCy's English lookup lemmas (spacy-lookups-data, a pinned dependency)."""
    table = resources.files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    with table.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        return dict(json.load(handle))


def lemmatise(normalised: str) -> str:
    """Each word of an already normalised text replaced by its lookup lemma."""
    table = _lemma_table()
    return " ".join(table.get(word, word) for word in normalised.split())


@dataclass(frozen=True)
class RedFlagRule:
    """Matches when one `any` regex is found, one `requires` regex too (if any), no `unless`."""

    id: str
    kind: str
    any_of: tuple[re.Pattern[str], ...]
    requires: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    # An ask rule whose cue is a concern with or without pain (a fall): a doubt such as
    # "it didn't hurt" does not take the question away.
    despite_doubt: bool = False

    def matches(self, text: str) -> bool:
        return (
            any(p.search(text) for p in self.any_of)
            and (not self.requires or any(p.search(text) for p in self.requires))
            and not any(p.search(text) for p in self.unless)
        )


@dataclass(frozen=True)
class RedFlagRules:
    """The rules file, compiled: spelling fixes, red-flag rules and grey-zone rules in file order."""

    spelling: dict[str, str]
    rules: tuple[RedFlagRule, ...]
    ask_rules: tuple[RedFlagRule, ...] = ()
    doubts: tuple[RedFlagRule, ...] = ()
    settings: dict[str, Any] | None = None

    def normalise(self, text: str) -> str:
        """Lower case, no apostrophes, single spaces, typing slips fixed ("can't" -> "cant")."""
        text = text.lower().replace("’", "'").replace("'", "")
        words = re.findall(r"[a-z0-9]+", text)
        return " ".join(self.spelling.get(word, word) for word in words)

    def views(self, text: str | None) -> tuple[str, str]:
        """The normalised text and its lemma form."""
        normalised = self.normalise(text or "")
        return normalised, lemmatise(normalised)

    def match(self, text: str | None) -> RedFlagRule | None:
        """The first red-flag rule the text matches, if any."""
        return _first(self.rules, self.views(text))

    def match_ask(self, text: str | None) -> RedFlagRule | None:
        """The first grey-zone rule (ask the safety question) the text matches, if any."""
        return _first(self.ask_rules, self.views(text))

    def doubt(self, text: str | None) -> str | None:
        """Why a matched rule is less certain here (a "what if", someone else, no pain, the
        workout), by id; None when nothing casts doubt."""
        return self.doubt_in(self.views(text))

    # The same three on views already made (the net makes them once per message).
    def match_in(self, views: tuple[str, str]) -> RedFlagRule | None:
        return _first(self.rules, views)

    def ask_in(self, views: tuple[str, str], doubted: bool = False) -> RedFlagRule | None:
        """The first grey-zone rule matched; with `doubted`, the first that holds despite a doubt."""
        rules = tuple(r for r in self.ask_rules if r.despite_doubt) if doubted else self.ask_rules
        return _first(rules, views)

    def doubt_in(self, views: tuple[str, str]) -> str | None:
        found = _first(self.doubts, views)
        return found.id if found else None


def _first(rules: tuple[RedFlagRule, ...], views: tuple[str, str]) -> RedFlagRule | None:
    return next((rule for rule in rules if any(rule.matches(view) for view in views)), None)


def _term_regex(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "(?:" + "|".join(value) + ")"


def _compile(regexes: list[str], terms: dict[str, str]) -> tuple[re.Pattern[str], ...]:
    def expand(regex: str) -> str:
        return re.sub(r"<(\w+)>", lambda m: terms.get(m.group(1), m.group(0)), regex)

    # Whole words only: "rest" must not match inside "interest".
    return tuple(re.compile(rf"(?<!\w)(?:{expand(regex)})(?!\w)") for regex in regexes)


def _rules(entries: list[dict[str, Any]], terms: dict[str, str]) -> tuple[RedFlagRule, ...]:
    return tuple(
        RedFlagRule(
            id=entry["id"],
            kind=entry["kind"],
            any_of=_compile(entry["any"], terms),
            requires=_compile(entry.get("requires", []), terms),
            unless=_compile(entry.get("unless", []), terms),
            despite_doubt=bool(entry.get("despite_doubt", False)),
        )
        for entry in entries
    )


def load_red_flag_rules(path: Path = RED_FLAGS_FILE) -> RedFlagRules:
    """Read and compile the rules file; a bad regex or a duplicate id fails loudly here."""
    data = read_yaml(path)
    terms = {name: _term_regex(value) for name, value in data.get("terms", {}).items()}
    rules = _rules(data["rules"], terms)
    ask_rules = _rules(data.get("ask_rules", []), terms)
    doubts = _rules([{"kind": "doubt", **entry} for entry in data.get("doubt", [])], terms)
    ids = [rule.id for rule in (*rules, *ask_rules, *doubts)]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise ValueError(f"duplicate red-flag rule ids in {path}: {duplicates}")
    spelling = {str(k): str(v) for k, v in (data.get("spelling") or {}).items()}
    return RedFlagRules(spelling=spelling, rules=rules, ask_rules=ask_rules, doubts=doubts,
                        settings=dict(data.get("decision") or {}))


@cache
def default_rules() -> RedFlagRules:
    return load_red_flag_rules()


def match_red_flag(text: str | None) -> str | None:
    """The id of the first red-flag rule `text` matches, or None."""
    rule = default_rules().match(text)
    return rule.id if rule else None
