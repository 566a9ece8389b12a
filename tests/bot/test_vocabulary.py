"""The training-vocabulary component (bot/vocabulary.py), trained and loaded through Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.vocabulary import (
    DEFAULT_CONFUSION_WORDS,
    UNDERSTOOD_KEY,
    TrainingVocabulary,
    assess,
    learn_vocabulary,
    message_words,
    stop_word_forms,
)
from common.explicit_request import stem

TRAINING_TEXTS = [
    "where is my refund",
    "my payment was declined",
    "when is my next instalment due",
    "I want to return an item",
    "thanks",
    "hello",
    "the parcels arrived damaged",
]
CONFUSION = frozenset(stem(word) for word in DEFAULT_CONFUSION_WORDS)
VOCABULARY = learn_vocabulary(TRAINING_TEXTS)


def make(tmp_path: Path, config: dict[str, Any] | None = None) -> TrainingVocabulary:
    return TrainingVocabulary.create(
        {**TrainingVocabulary.get_default_config(), **(config or {})},
        LocalModelStorage(tmp_path),
        Resource("vocabulary"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def training_data() -> TrainingData:
    return TrainingData([Message.build(text=text, intent="x") for text in TRAINING_TEXTS])


@pytest.mark.parametrize(
    ("text", "ratio", "unknown"),
    [
        ("qwerty", 0.0, ("qwerty",)),
        ("zzzz", 0.0, ("zzzz",)),
        ("asdfgh jkl", 0.0, ("asdfgh", "jkl")),
        ("where is my refund", 1.0, ()),
        ("Where's my REFUND?", 1.0, ()),  # case, apostrophes
        ("refunds declined", 1.0, ()),  # stemmed: refunds -> refund
        ("helloooo", 1.0, ()),  # elongation collapsed
        ("my refund xyzzy", 2 / 3, ("xyzzy",)),
        ("ORD-104233", 1.0, ()),  # order numbers are data, not words
        ("bob@example.com", 1.0, ()),
        ("EUR 45.50", 0.0, ("eur",)),
        ("my refund 3rd time", 2 / 3, ("time",)),
        ("", 1.0, ()),
        ("!!", 1.0, ()),
    ],
)
def test_assess_known_ratio(text: str, ratio: float, unknown: tuple[str, ...]) -> None:
    found = assess(text, VOCABULARY, CONFUSION)
    assert found.known_ratio == pytest.approx(ratio)
    assert found.unknown == unknown


@pytest.mark.parametrize(
    ("text", "confused"),
    [
        ("???", True),
        ("what??", True),
        ("huh?", True),
        ("Qué?", True),
        ("sorry?", True),
        ("what", False),  # no question mark: not a bewildered reaction
        ("what is my balance?", False),
        ("refund?", False),
        ("late fees?", False),
        ("hello", False),
    ],
)
def test_assess_confused_reactions(text: str, confused: bool) -> None:
    assert assess(text, VOCABULARY, CONFUSION).confused is confused


def test_unknown_words_are_reported_once_and_capped() -> None:
    found = assess("qq ww qq ee rr tt yy", VOCABULARY, CONFUSION, max_unknown=3)
    assert found.unknown == ("qq", "ww", "ee")
    assert found.words == 7


def test_message_words_leave_out_data() -> None:
    assert message_words("Refund for ORD-104233, mail bob@example.com or https://x.io/a") == [
        "refund",
        "for",
        "mail",
        "or",
    ]


def test_stop_words_count_as_known_in_both_languages() -> None:
    forms = stop_word_forms(["en", "es"])
    assert {stem("could"), stem("about"), "por"} <= forms
    assert "qwerty" not in forms


def test_unknown_stop_word_language_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigException):
        make(tmp_path, {"stop_word_languages": ["xx-no-such"]})


@pytest.mark.parametrize(
    "config",
    [{"confusion_words": "what"}, {"max_unknown": -1}, {"stop_word_languages": "en"}],
)
def test_invalid_config_is_rejected(tmp_path: Path, config: dict[str, Any]) -> None:
    with pytest.raises(InvalidConfigException):
        make(tmp_path, config)


def test_trains_persists_and_loads_the_vocabulary(tmp_path: Path) -> None:
    component = make(tmp_path)
    resource = component.train(training_data())
    loaded = TrainingVocabulary.load(
        TrainingVocabulary.get_default_config(),
        LocalModelStorage(tmp_path),
        resource,
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert loaded.vocabulary == VOCABULARY
    messages = loaded.process(
        [Message.build(text="qwerty"), Message.build(text="could you check my refund")]
    )
    gibberish, plain = (message.get(UNDERSTOOD_KEY) for message in messages)
    assert gibberish == {"known_ratio": 0.0, "words": 1, "unknown": ["qwerty"], "confused": False}
    # "could", "you" are stop words, "check" is new: 4 of 5 words known
    assert plain["known_ratio"] == pytest.approx(0.8)
    assert plain["unknown"] == ["check"]
    # the record reaches the parse data (add_to_output)
    assert UNDERSTOOD_KEY in messages[0].output_properties


def test_training_examples_are_annotated_too(tmp_path: Path) -> None:
    component = make(tmp_path)
    data = training_data()
    component.train(data)
    component.process_training_data(data)
    assert all(
        example.get(UNDERSTOOD_KEY)["known_ratio"] == 1.0 for example in data.training_examples
    )


def test_a_model_without_vocabulary_adds_nothing_rather_than_calling_everything_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loaded = TrainingVocabulary.load(
        TrainingVocabulary.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("never-trained"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    (message,) = loaded.process([Message.build(text="where is my refund")])
    assert message.get(UNDERSTOOD_KEY) is None
    assert "no persisted vocabulary" in caplog.text
