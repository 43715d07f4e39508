"""Layer (b), the binary red-flag classifier, on its own: trained from its data files the same way
every time, and catching by itself most red flags that the phrase rules were never written for."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold

from bot.nlp.red_flag_classifier import (
    Examples,
    RedFlagClassifier,
    dedicated_examples,
    default_classifier,
    nlu_examples,
    training_examples,
)
from bot.nlp.red_flag_rules import default_rules


def test_its_own_training_data_is_big_enough_and_balanced() -> None:
    own = dedicated_examples()
    positives = sum(own.labels)
    assert positives >= 300 and len(own.labels) - positives >= 300
    assert len(set(own.texts)) == len(own.texts)


def test_nlu_examples_are_read_without_entity_markup() -> None:
    nlu = nlu_examples()
    assert any(nlu.labels) and not all(nlu.labels)
    assert not any("](" in text for text in nlu.texts)


def test_training_is_deterministic() -> None:
    examples = training_examples()
    texts = ["went grey and dropped like a stone in the hall", "did my squats, legs a bit tired"]
    assert RedFlagClassifier.train(examples).scores(texts) == default_classifier().scores(texts)


def test_unseen_red_flags_score_high_and_ordinary_messages_low_in_cross_validation() -> None:
    """3-fold CV on the training data: the ask threshold keeps at least 95 % of red flags."""
    examples = training_examples()
    texts, labels = np.array(examples.texts, dtype=object), np.array(examples.labels)
    scores = np.zeros(len(texts))
    for train, test in StratifiedKFold(3, shuffle=True, random_state=7).split(texts, labels):
        model = RedFlagClassifier.train(Examples(tuple(texts[train]), tuple(bool(y) for y in labels[train])))
        scores[test] = model.scores(list(texts[test]))
    ask_min = float((default_rules().settings or {})["classifier_ask_min"])
    assert (scores[labels] >= ask_min).mean() >= 0.95
    assert (scores[~labels] >= ask_min).mean() <= 0.08


def test_an_empty_message_scores_zero() -> None:
    assert default_classifier().score("") == 0.0
    assert default_classifier().score(None) == 0.0


def test_the_fast_scorer_gives_scikit_learns_numbers() -> None:
    classifier, rules = default_classifier(), default_rules()
    texts = [*dedicated_examples().texts[::25], "", "zzz qqq", "I FELL!!! can't get up"]
    for text in texts:
        assert abs(classifier.score_views(rules.views(text)) - classifier.score(text)) < 1e-9
