"""Keep only the sentence-level features of the client's text for the classifiers.

DIET (intents) and the ResponseSelector (FAQ answers) run here without transformer layers, and
their feed-forward layers act on each position alone. So the vector they classify, the sentence
position, is computed from the sentence-level features only: the token-level features of the
text were converted, fed and trained on at every step, and could not change a prediction.
Dropping them before the classifiers makes both train and predict faster (BENCHMARKS.md,
issue 17). Rasa's sequence layer needs some token-level feature, so the text keeps one empty
token in their place. Labels keep their token-level features: an intent's or an answer's
embedding sums every position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ORIGIN = "sentence_features_only"


def drop_token_features(message: Message) -> None:
    """Replace the token-level features of the message's text by one empty token, in place."""
    kept = [f for f in message.features if not (f.attribute == TEXT and f.type == FEATURE_TYPE_SEQUENCE)]
    if len(kept) < len(message.features):
        empty = scipy.sparse.coo_matrix((1, 1), dtype=np.float32)
        kept.append(Features(empty, FEATURE_TYPE_SEQUENCE, TEXT, ORIGIN))
    message.features = kept


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceFeaturesOnly(GraphComponent):
    """Placed after the featurizers and before DIET and the ResponseSelector."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceFeaturesOnly:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            drop_token_features(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            drop_token_features(message)
        return messages
