"""LanguageTagger: the hub's metadata.language is trusted, otherwise the text decides."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language_tagger import LanguageTagger, message_language


@pytest.fixture
def tagger(tmp_path) -> LanguageTagger:
    return LanguageTagger.create(
        {}, LocalModelStorage(tmp_path), Resource("tagger"), ExecutionContext(GraphSchema({}))
    )


def _tag(tagger: LanguageTagger, text: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    message = Message(data={TEXT: text, "metadata": metadata})
    tagger.process([message])
    record: dict[str, Any] = message.get("language")
    assert message.as_dict(only_output_properties=True)["language"] == record
    return record


def test_metadata_language_is_trusted(tagger: LanguageTagger) -> None:
    # the hub decided with the conversation's history: "ok" after Spanish turns is Spanish
    record = _tag(tagger, "when is my next payment due", {"language": "es"})
    assert record == {"code": "es", "probability": 1.0, "source": "metadata"}


@pytest.mark.parametrize(
    ("text", "metadata", "code", "source"),
    [
        ("¿cuándo vence mi próximo pago?", None, "es", "detector"),
        ("¿cuándo vence mi próximo pago?", {"language": "xx"}, "es", "detector"),
        ("when is my next payment due", {"page_language": "es-MX"}, "en", "detector"),
        ("ok", {"page_language": "es-MX"}, "es", "prior"),
        ("ok", {}, "en", "default"),
        ("", None, "en", "default"),
    ],
)
def test_without_metadata_language_the_text_decides(
    tagger: LanguageTagger, text: str, metadata: Any, code: str, source: str
) -> None:
    record = _tag(tagger, text, metadata)
    assert (record["code"], record["source"]) == (code, source)
    assert 0.0 < record["probability"] <= 1.0


def test_training_examples_are_tagged_from_their_text(tagger: LanguageTagger) -> None:
    examples = [
        Message(data={TEXT: "quiero hablar con una persona", "intent": "request_human"}),
        Message(data={TEXT: "I want to talk to a person", "intent": "request_human"}),
        Message(data={"intent": "greet"}),  # a story's intent-only turn
    ]
    tagger.process_training_data(TrainingData(training_examples=examples))
    assert [message_language(m) for m in examples] == ["es", "en", "en"]


def test_an_untagged_message_is_english() -> None:
    assert message_language(Message(data={TEXT: "hola"})) == "en"
