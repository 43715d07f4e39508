"""Layer (b) of the red-flag net: a binary classifier beside the intent classifier.

Phrase rules miss wordings nobody wrote down; DIET spreads its confidence over 30 intents. This
model answers one question, "is this a red flag?", from character and word n-grams, trained on
bot/content/red_flag_training.yml (red flags and keyword traps written for it) plus the NLU
examples (red_flag against every other intent). Class weights are balanced and the decision
thresholds (bot/content/red_flags.yml, `decision`) are set for recall.

It trains in about a second, deterministically, when first used (scikit-learn's liblinear with
a fixed seed), so it needs no artefact of its own and always matches the files it reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.content.loader import CONTENT_DIR, read_yaml
from bot.nlp.red_flag_rules import RedFlagRules, default_rules

TRAINING_FILE = CONTENT_DIR / "red_flag_training.yml"
NLU_DIR = Path(__file__).resolve().parents[2] / "data"
RED_FLAG_INTENT = "red_flag"
SEED = 2026
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


@dataclass(frozen=True)
class Examples:
    """Texts and labels (True: a red flag)."""

    texts: tuple[str, ...]
    labels: tuple[bool, ...]


def _plain(example: str) -> str:
    """An NLU example without entity annotations: "[7](pain_score)" -> "7"."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", example).strip()


def nlu_examples(data_dir: Path = NLU_DIR) -> Examples:
    """Every intent example under data/: red_flag ones are positives, the rest negatives."""
    texts: list[str] = []
    labels: list[bool] = []
    for path in sorted(data_dir.rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(_plain(line[2:]))
                    labels.append(intent == RED_FLAG_INTENT)
    return Examples(tuple(texts), tuple(labels))


def dedicated_examples(path: Path = TRAINING_FILE) -> Examples:
    """The classifier's own file: red flags and hard negatives (keyword traps)."""
    content = read_yaml(path)
    positives = [str(t) for t in content["red_flags"]]
    negatives = [str(t) for t in content["traps"]]
    return Examples(tuple(positives + negatives), (True,) * len(positives) + (False,) * len(negatives))


def training_examples() -> Examples:
    dedicated, nlu = dedicated_examples(), nlu_examples()
    return Examples(dedicated.texts + nlu.texts, dedicated.labels + nlu.labels)


class RedFlagClassifier:
    """P(red flag) for a message, from its normalised and lemma forms."""

    def __init__(self, rules: RedFlagRules, model: Pipeline) -> None:
        self._rules = rules
        self._model = model
        self._fast = _FastScorer(model)

    @classmethod
    def train(cls, examples: Examples, rules: RedFlagRules | None = None) -> RedFlagClassifier:
        rules = rules or default_rules()
        model = build_model()
        model.fit([_features(rules, t) for t in examples.texts], list(examples.labels))
        return cls(rules, model)

    def scores(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        features = [_features(self._rules, t) for t in texts]
        return [float(p) for p in self._model.predict_proba(features)[:, 1]]

    def score(self, text: str | None) -> float:
        """Probability that `text` is a red flag (0 for an empty message)."""
        return self.scores([text])[0] if text and text.strip() else 0.0

    def score_views(self, views: tuple[str, str]) -> float:
        """The same from the rules' views of a message (normalised, lemmas), made once; computed
        from the fitted weights directly (scikit-learn's per-call checks cost ~2 ms a message)."""
        if not views[0]:
            return 0.0
        return self._fast.probability(_joined(views))


class _FastScorer:
    """The fitted pipeline's arithmetic for one text: sublinear tf-idf per vectorizer, L2
    normalised, dot the logistic regression's weights, sigmoid. Same numbers as predict_proba."""

    def __init__(self, model: Pipeline) -> None:
        union, classifier = model.named_steps["features"], model.named_steps["classifier"]
        weights = classifier.coef_[0]
        self._bias = float(classifier.intercept_[0])
        self._parts = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            vocabulary = vectorizer.vocabulary_
            idf = vectorizer.idf_
            self._parts.append((
                vectorizer.build_analyzer(),
                {term: (float(idf[i]), float(weights[offset + i])) for term, i in vocabulary.items()},
            ))
            offset += len(vocabulary)

    def probability(self, text: str) -> float:
        total = self._bias
        for analyze, table in self._parts:
            counts: dict[str, int] = {}
            for term in analyze(text):
                if term in table:
                    counts[term] = counts.get(term, 0) + 1
            values = {term: (1.0 + math.log(n)) * table[term][0] for term, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
            total += sum(v / norm * table[term][1] for term, v in values.items())
        return 1.0 / (1.0 + math.exp(-total))


def build_model() -> Pipeline:
    """Character n-grams carry typos; word pairs carry "cant walk", "went down"."""
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                  token_pattern=r"[a-z0-9]+")),
    ])
    classifier = LogisticRegression(C=8.0, class_weight="balanced", solver="liblinear",
                                    random_state=SEED, max_iter=1000)
    return Pipeline([("features", features), ("classifier", classifier)])


def _features(rules: RedFlagRules, text: str) -> str:
    return _joined(rules.views(text))


def _joined(views: tuple[str, str]) -> str:
    """What the model reads: the normalised text and its lemma form, side by side."""
    return f"{views[0]} | {views[1]}"


@cache
def default_classifier() -> RedFlagClassifier:
    """Trained once per process, on first use."""
    return RedFlagClassifier.train(training_examples())
