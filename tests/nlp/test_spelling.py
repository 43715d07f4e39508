"""The spelling corrector: fixes what nobody knows, leaves entities, scores, times, names and the
bot's own words alone, and keeps its vocabulary with the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from bot.nlp.spelling import SpellingCorrector, content_vocabulary, known_typos

TRAINING_TEXTS = [
    "did my walk along the lakewalk this morning",
    "my knee hurts a bit",
    "can you remind me at 7am",
    "went walkign after lunch",  # the training data keeps real clients' typos on purpose
    "my bak hurst",  # known slips (bot/content/red_flags.yml) stay here but are not protected
]


@pytest.fixture(scope="module")
def spacy_model(nlp: Language) -> SpacyModel:
    return SpacyModel(model=nlp, model_name="bone_coach_en")


def _message(text: str, model: SpacyModel, entities: bool = True) -> Message:
    """A message as the pipeline hands it over: spaCy doc, then SpacyTokenizer's tokens."""
    message = Message(data={TEXT: text})
    message.set(SPACY_DOCS[TEXT], model.model(text) if entities else model.model.make_doc(text))
    SpacyTokenizer(SpacyTokenizer.get_default_config()).process([message])
    return message


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    return LocalModelStorage(Path(tmp_path_factory.mktemp("model_storage")))


@pytest.fixture(scope="module")
def corrector(spacy_model: SpacyModel, storage: LocalModelStorage) -> SpellingCorrector:
    """Trained on a few examples, stored, and loaded back as a trained model is."""
    resource = Resource("spelling")
    context = ExecutionContext(GraphSchema({}), "test")
    config = SpellingCorrector.get_default_config()
    trainer = SpellingCorrector.create(config, storage, resource, context)
    data = TrainingData([_message(text, spacy_model) for text in TRAINING_TEXTS])
    trainer.train(data, spacy_model)
    return SpellingCorrector.load(config, storage, resource, context)


def _tokens(corrector: SpellingCorrector, model: SpacyModel, text: str) -> Message:
    message = _message(text, model)
    corrector.process([message], model)
    return message


def test_a_misspelled_word_is_corrected_in_text_and_lemma(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    message = _tokens(corrector, spacy_model, "which excercises are safe")
    token = message.get(TOKENS_NAMES[TEXT])[1]
    assert (token.text, token.lemma) == ("exercises", "exercise")


def test_the_text_and_the_spacy_doc_stay_as_typed(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    message = _tokens(corrector, spacy_model, "which excercises are safe")
    assert message.get(TEXT) == "which excercises are safe"
    assert [t.text for t in message.get(SPACY_DOCS[TEXT])][1] == "excercises"


def test_a_capitalised_first_word_keeps_its_capital(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    message = _tokens(corrector, spacy_model, "Sholder is sore")
    assert message.get(TOKENS_NAMES[TEXT])[0].text == "Shoulder"


@pytest.mark.parametrize(
    "text",
    [
        "remind me at 7am",
        "pain 7/10 today",
        "walk at 6:30 tomorrow",
        "did the lakewalk again",  # unknown to the dictionary, known from the training data
        "my kne hurts",  # too short to guess
        "had coffee with Marlene",  # a name after the first word
        "my iPhone is broken",  # mixed case
    ],
)
def test_these_tokens_are_left_alone(
    corrector: SpellingCorrector, spacy_model: SpacyModel, text: str
) -> None:
    message = _tokens(corrector, spacy_model, text)
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == [
        t.text for t in spacy_model.model(text)
    ]


@pytest.fixture(scope="module")
def bare(storage: LocalModelStorage) -> SpellingCorrector:
    """No vocabulary at all: only the dictionary and the token rules protect a word."""
    context = ExecutionContext(GraphSchema({}), "test")
    return SpellingCorrector.create(
        SpellingCorrector.get_default_config(), storage, Resource("bare"), context
    )


def test_words_inside_an_entity_are_not_touched(
    bare: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    # "glutes" is not in the English dictionary ("gluten" is one edit away), but the ruler
    # knows it as a body part: the span protects it even without the vocabulary
    text = "my glutes are sore"
    assert [(e.text, e.label_) for e in spacy_model.model(text).ents] == [("glutes", "body_part")]
    assert bare.correct_message(_message(text, spacy_model), spacy_model) == []
    no_ruler = _message(text, spacy_model, entities=False)
    assert bare.correct_message(no_ruler, spacy_model) == [("glutes", "gluten")]


def test_a_word_unknown_to_everyone_without_a_near_neighbour_stays(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    message = _message("zzxqwv please", spacy_model)
    assert corrector.correct_message(message, spacy_model) == []


def test_corrections_are_reported_and_repeatable(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    text = "my shoudler and my balence are bad"
    first = corrector.correct_message(_message(text, spacy_model), spacy_model)
    again = corrector.correct_message(_message(text, spacy_model), spacy_model)
    assert first == again == [("shoudler", "shoulder"), ("balence", "balance")]


def test_the_vocabulary_is_stored_with_the_model(
    storage: LocalModelStorage, bare: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    reloaded = SpellingCorrector.load(
        SpellingCorrector.get_default_config(), storage, Resource("spelling"), context
    )
    # "walkign" is only in the training texts above: protected once trained, corrected if not
    assert reloaded.correct_message(_message("walkign", spacy_model), spacy_model) == []
    assert bare.correct_message(_message("walkign", spacy_model), spacy_model) == [
        ("walkign", "walking")
    ]


def test_the_content_files_are_part_of_the_vocabulary() -> None:
    words = content_vocabulary()
    assert {"knee", "shoulder", "squat"} <= words


def test_training_data_passes_through_unchanged(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    data = TrainingData([_message(text, spacy_model) for text in TRAINING_TEXTS])
    before = [[t.text for t in m.get(TOKENS_NAMES[TEXT])] for m in data.training_examples]
    corrector.process_training_data(data, spacy_model)
    after = [[t.text for t in m.get(TOKENS_NAMES[TEXT])] for m in data.training_examples]
    assert before == after


def test_a_known_slip_is_corrected_even_when_short_or_an_english_word(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    assert {"hurst": "hurts", "bak": "back"}.items() <= known_typos().items()
    changes = corrector.correct_message(_message("knee hurst and my bak too", spacy_model), spacy_model)
    assert changes == [("hurst", "hurts"), ("bak", "back")]
    # a name after the first word is still left alone
    assert corrector.correct_message(_message("ask Hurst about it", spacy_model), spacy_model) == []


def test_a_known_slip_in_the_training_data_stays_there_and_is_not_protected(
    corrector: SpellingCorrector, spacy_model: SpacyModel
) -> None:
    data = TrainingData([_message("my bak hurst", spacy_model)])
    corrector.process_training_data(data, spacy_model)
    assert [t.text for t in data.training_examples[0].get(TOKENS_NAMES[TEXT])] == ["my", "bak", "hurst"]
    # the corrector was trained on "my bak hurst" (TRAINING_TEXTS) and still corrects a client's
    changes = corrector.correct_message(_message("my bak hurst", spacy_model), spacy_model)
    assert changes == [("bak", "back"), ("hurst", "hurts")]
