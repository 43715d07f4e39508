"""SentenceFeaturesOnly: what it drops, and that the classifiers, as config.yml sets them up,
never read what it drops (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.sentence_features import ORIGIN, SentenceFeaturesOnly, drop_token_features

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]

NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello there
    - hi coach
    - good morning to you
- intent: report_pain
  examples: |
    - my knee hurts
    - sore back today
    - the hip aches a lot
- intent: faq/calcium
  examples: |
    - how much calcium do I need
    - calcium per day
- intent: faq/walking
  examples: |
    - is walking enough
    - does a walk count as exercise
responses:
  utter_faq/calcium:
  - text: Food first, about three servings a day.
  utter_faq/walking:
  - text: Walking helps balance; lifting builds bone.
"""


def _sparse(rows: int, cols: int, values: list[float]) -> Features:
    return Features(scipy.sparse.coo_matrix(np.array(values, dtype=np.float32).reshape(rows, cols)),
                    FEATURE_TYPE_SEQUENCE, TEXT, "cv")


def test_the_text_keeps_its_sentence_features_and_one_empty_token_labels_keep_theirs() -> None:
    message = Message(data={TEXT: "my knee hurts", INTENT: "report_pain"})
    sentence = Features(scipy.sparse.coo_matrix(np.ones((1, 4), dtype=np.float32)), FEATURE_TYPE_SENTENCE, TEXT, "cv")
    label_tokens = Features(scipy.sparse.coo_matrix(np.ones((2, 3), dtype=np.float32)), FEATURE_TYPE_SEQUENCE,
                            INTENT, "cv")
    response_tokens = Features(scipy.sparse.coo_matrix(np.ones((5, 3), dtype=np.float32)), FEATURE_TYPE_SEQUENCE,
                               RESPONSE, "cv")
    message.features = [_sparse(3, 4, [1.0] * 12), sentence, label_tokens, response_tokens]

    drop_token_features(message)

    assert message.features[:3] == [sentence, label_tokens, response_tokens]
    token = message.features[3]
    assert (token.attribute, token.type, token.origin) == (TEXT, FEATURE_TYPE_SEQUENCE, ORIGIN)
    assert token.features.shape == (1, 1) and token.features.nnz == 0
    drop_token_features(message)  # again (a message is processed once, but twice must not pile up)
    assert len(message.features) == 4 and message.features[3].origin == ORIGIN


def test_a_message_without_token_features_is_left_as_it_is() -> None:
    message = Message(data={TEXT: ""})
    drop_token_features(message)
    assert message.features == []


def _context(tmp_path: Path) -> tuple[LocalModelStorage, ExecutionContext]:
    return LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}))


def _ours(name: str, **overrides: Any) -> dict[str, Any]:
    """The component's settings in config.yml, with fewer epochs (this is about architecture)."""
    settings = next(dict(c) for c in PIPELINE if c["name"] == name)
    settings.pop("name")
    return {**settings, **overrides}


def _featurizers(storage: LocalModelStorage, context: ExecutionContext) -> list[GraphComponent]:
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage, Resource("tok"),
                                           context)
    counts = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
        storage, Resource("counts"), context)
    return [tokenizer, counts]


def _scramble(message: Message, feature_type: str, seed: int) -> Message:
    """A copy whose text features of `feature_type` are random numbers of the same shape."""
    copy = Message(data=dict(message.data))
    rng = np.random.default_rng(seed)
    copy.features = [
        Features(scipy.sparse.coo_matrix(rng.random(f.features.shape, dtype=np.float32)), f.type, f.attribute,
                 f.origin)
        if f.attribute == TEXT and f.type == feature_type else f
        for f in message.features
    ]
    return copy


def _confidences(classifier: GraphComponent, message: Message) -> list[float]:
    classifier.process([message])
    if isinstance(classifier, ResponseSelector):
        return [r["confidence"] for r in message.get("response_selector")["faq"]["ranking"]]
    return [r["confidence"] for r in message.get("intent_ranking")]


@pytest.mark.slow  # trains two tiny TensorFlow models
@pytest.mark.parametrize("name", ["DIETClassifier", "ResponseSelector"])
def test_the_classifiers_as_configured_do_not_read_the_texts_token_features(name: str, tmp_path: Path) -> None:
    storage, context = _context(tmp_path)
    data: TrainingData = RasaYAMLReader().reads(NLU)
    featurizers = _featurizers(storage, context)
    for component in featurizers:
        if hasattr(component, "train"):
            component.train(data)
        component.process_training_data(data)
    kind = {"DIETClassifier": DIETClassifier, "ResponseSelector": ResponseSelector}[name]
    classifier = kind.create({**kind.get_default_config(), **_ours(name, epochs=3)}, storage, Resource(name),
                             context)
    classifier.train(data)  # with the token features: a model that could use them, if it would

    message = Message(data={TEXT: "my knee and calcium"})
    for component in featurizers:
        component.process([message])
    assert any(f.type == FEATURE_TYPE_SEQUENCE and f.attribute == TEXT for f in message.features)

    seen = _confidences(classifier, Message(data=dict(message.data), features=list(message.features)))
    other_tokens = _confidences(classifier, _scramble(message, FEATURE_TYPE_SEQUENCE, seed=1))
    other_sentence = _confidences(classifier, _scramble(message, FEATURE_TYPE_SENTENCE, seed=1))

    assert other_tokens == pytest.approx(seen, abs=1e-6)
    assert other_sentence != pytest.approx(seen, abs=1e-3)  # the check itself can see a difference


def test_config_drops_token_features_after_every_featurizer_and_before_classifiers_without_transformers(
    tmp_path: Path,
) -> None:
    names = [c["name"] for c in PIPELINE]
    at = names.index("bot.nlp.sentence_features.SentenceFeaturesOnly")
    featurizers = [i for i, n in enumerate(names) if "Featurizer" in n]
    assert featurizers and max(featurizers) < at
    storage, context = _context(tmp_path)
    for name in ("DIETClassifier", "ResponseSelector"):
        assert names.index(name) > at
        kind = {"DIETClassifier": DIETClassifier, "ResponseSelector": ResponseSelector}[name]
        settings = kind.create({**kind.get_default_config(), **_ours(name)}, storage, Resource(name),
                               context).component_config
        assert settings["number_of_transformer_layers"] == 0, f"{name} with a transformer reads token features"
        assert not settings.get("entity_recognition"), f"{name} tagging entities reads token features"
        assert not settings.get("use_masked_language_model"), f"{name} with masked LM reads token features"


def test_the_component_processes_training_data_and_messages(tmp_path: Path) -> None:
    storage, context = _context(tmp_path)
    component = SentenceFeaturesOnly.create({}, storage, Resource("sentence"), context)
    data = TrainingData([Message(data={TEXT: "hi", INTENT: "greet"}, features=[_sparse(1, 2, [1.0, 0.0])])])
    message = Message(data={TEXT: "hello"}, features=[_sparse(1, 2, [0.0, 1.0])])

    component.process_training_data(data)
    component.process([message])

    for processed in (data.training_examples[0], message):
        assert [f.origin for f in processed.features] == [ORIGIN]
