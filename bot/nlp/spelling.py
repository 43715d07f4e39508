"""Typos corrected before featurisation: a Rasa graph component between the tokenizer and the
featurizers (issue 11).

A word is corrected only when neither the bot's own vocabulary nor pyspellchecker's English
dictionary knows it, or when it is a known typing slip (`known_typos`, whatever its length or
dictionary meaning: "hurst" -> "hurts", "bak" -> "back"), in a client's message. The bot's
vocabulary (every word of the NLU training examples and of bot/content/*.yml) is gathered at
train time and stored with the model, so a model always protects exactly the words it was trained
on (known slips never), and loading it needs no data/ folder.

Only the Rasa tokens change (`text` and `lemma`, which the count-vector featurizers
read). The message text and its spaCy doc stay as written, so the entity ruler, the red-flag net
and the entity-intent rules see what the client typed. Left alone: short words, anything with a
digit or a sign ("7am", "6:30", "7/10"), mixed case ("iPhone"), capitalised words after the
first (names and places), and words inside an entity the ruler found.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import spellchecker
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spellchecker import SpellChecker

from bot.content.loader import CONTENT_DIR
from bot.nlp.red_flag_rules import default_rules

VOCABULARY_FILE = "vocabulary.json"
WORD = re.compile(r"[a-z]+")
CACHE_SIZE = 4096


def words_in(text: str) -> set[str]:
    """The lower-case letter runs of a text: how vocabulary is counted everywhere here."""
    return set(WORD.findall(text.lower()))


def content_vocabulary() -> set[str]:
    """Every word written in bot/content/*.yml (exercise names, places, entity phrases...)."""
    words: set[str] = set()
    for path in sorted(CONTENT_DIR.glob("*.yml")):
        words |= words_in(path.read_text(encoding="utf-8"))
    return words


def known_typos() -> dict[str, str]:
    """Typing slips seen in chat and the word meant ("hurst" -> "hurts"): the red-flag rules'
    list (bot/content/red_flags.yml), one list for both. Some are English words of their own
    ("hurst", a wooded hill), so the dictionary alone would leave them."""
    return dict(default_rules().spelling)


def training_vocabulary(training_data: TrainingData) -> set[str]:
    """Every word of the NLU examples, their tokens, synonyms and lookup tables."""
    words: set[str] = set()
    for example in training_data.training_examples:
        words |= words_in(str(example.get(TEXT) or ""))
        words |= {t.text.lower() for t in example.get(TOKENS_NAMES[TEXT]) or []}
    for key, value in training_data.entity_synonyms.items():
        words |= words_in(f"{key} {value}")
    for table in training_data.lookup_tables:
        elements = table.get("elements")
        if isinstance(elements, list):
            words |= words_in(" ".join(map(str, elements)))
    return words


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True, model_from="SpacyNLP"
)
class SpellingCorrector(GraphComponent):
    """Corrects misspelled tokens (not the text) so the featurizers see the intended word."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # pyspellchecker dictionary
            "language": "en",
            # 1 keeps a lookup under a millisecond; 2 costs up to seconds on a long unknown word
            "max_edit_distance": 1,
            # words shorter than this are never corrected ("kne", "bak", "thx")
            "min_length": 4,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """What the graph cannot see: the content files and the dictionary's version.

        (Not `required_packages`: Rasa checks those by import name, "spellchecker", and
        fingerprints them by distribution name, "pyspellchecker"; one name cannot do both.)
        """
        digest = hashlib.sha256(spellchecker.__version__.encode())
        for path in sorted(CONTENT_DIR.glob("*.yml")):
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Iterable[str] = ()) -> None:
        self._storage = model_storage
        self._resource = resource
        self._min_length = int(config["min_length"])
        self._typos = known_typos()
        self._vocabulary = frozenset(vocabulary) - self._typos.keys()  # a slip is corrected, trained on or not
        self._checker = SpellChecker(language=config["language"],
                                     distance=int(config["max_edit_distance"]))
        # candidates come from both word lists; _correction prefers the bot's own words
        self._checker.word_frequency.load_words(self._vocabulary)
        self._correct = lru_cache(maxsize=CACHE_SIZE)(self._correction)
        self._lemmas: dict[str, str] = {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpellingCorrector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SpellingCorrector:
        """Reads the vocabulary stored at train time."""
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData, model: SpacyModel) -> Resource:
        """Stores the protected vocabulary: the training data's words and the content files'.

        (`model` is passed to every method of a component that declares `model_from`.)
        """
        vocabulary = sorted(training_vocabulary(training_data) | content_vocabulary())
        with self._storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        """Unchanged: the training data keeps its typos, known slips too (correcting those there
        measured worse on the real-style sets, BENCHMARKS.md)."""
        return training_data

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            self.correct_message(message, model)
        return messages

    def correct_message(self, message: Message, model: SpacyModel) -> list[tuple[str, str]]:
        """Corrects the message's text tokens in place; returns (typed, corrected) pairs."""
        tokens: list[Token] = message.get(TOKENS_NAMES[TEXT]) or []
        doc = message.get(SPACY_DOCS[TEXT])
        entity_spans = [(e.start_char, e.end_char) for e in doc.ents] if doc is not None else []
        changes = []
        for index, token in enumerate(tokens):
            if not self._may_correct(token, index == 0, entity_spans):
                continue
            word = token.text.lower()
            corrected = self._typos.get(word) or self._correct(word)
            if corrected is None:
                continue
            typed = token.text
            token.text = corrected.capitalize() if typed[0].isupper() else corrected
            token.lemma = self._lemma(corrected, model)
            changes.append((typed, token.text))
        return changes

    def _may_correct(self, token: Token, first: bool, entity_spans: list[tuple[int, int]]) -> bool:
        text = token.text
        short = len(text) < self._min_length and text.lower() not in self._typos  # "bak" is a known slip
        if short or not (text.isalpha() and text.isascii()):
            return False
        if any(c.isupper() for c in text[1:]) or (text[0].isupper() and not first):
            return False
        if any(start < token.end and token.start < end for start, end in entity_spans):
            return False
        return text.lower() not in self._vocabulary

    def _correction(self, word: str) -> str | None:
        """The most likely plain word for an unknown one (None when it is known or hopeless).

        The bot's own words first, then English frequency, then alphabetical: deterministic.
        """
        if word in self._checker:
            return None
        candidates = [c for c in self._checker.candidates(word) or () if c.isalpha() and c.isascii()]
        candidates = [c for c in candidates if c != word]
        if not candidates:
            return None
        return max(candidates, key=lambda c: (c in self._vocabulary, self._checker[c], c))

    def _lemma(self, word: str, model: SpacyModel) -> str:
        """The spaCy pipeline's lemma of the corrected word (the count vectors use lemmas)."""
        if word not in self._lemmas:  # at most one entry per distinct correction
            doc = model.model(word)
            self._lemmas[word] = doc[0].lemma_ if len(doc) == 1 else word
        return self._lemmas[word]
