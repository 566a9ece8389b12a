"""RulerEntityExtractor: stock SpacyEntityExtractor's entities from the entity ruler alone."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.entities import RulerEntityExtractor, ruler_only_components
from bot.spacy_pipeline import build_pipeline

TEXTS = [
    "I paid €45.50 on 5 December 2026 for ORD-104233",
    "my order #104233 was declined, email me at Jane.Doe@Example.com",
    "Can I pay 120 EUR next Friday?",
    "it's been days and you're not helping",
    "€104233",
    "the 3rd of next month, order ord 104233",
    "WHY WAS MY PAYMENT DECLINED??",
    "",
]


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def _entities(extractor: Any, nlp: spacy.language.Language, text: str) -> list[dict[str, Any]]:
    message = Message(data={TEXT: text})
    extractor.process([message], SpacyModel(model=nlp, model_name="test"))
    return [
        {key: value for key, value in entity.items() if key != "extractor"}
        for entity in message.get(ENTITIES, [])
    ]


def _extractors(dimensions: list[str] | None = None) -> tuple[Any, Any]:
    config = {**SpacyEntityExtractor.get_default_config(), "dimensions": dimensions}
    return SpacyEntityExtractor(config), RulerEntityExtractor(config)


@pytest.mark.parametrize("dimensions", [None, ["money", "date"]])
def test_same_entities_as_stock(nlp: Any, dimensions: Any) -> None:
    stock, ours = _extractors(dimensions)
    assert ruler_only_components(nlp) is not None  # the shortcut is taken for our pipeline
    found = 0
    for text in TEXTS:
        expected = _entities(stock, nlp, text)
        assert _entities(ours, nlp, text) == expected, text
        found += len(expected)
    assert found >= 6


def test_entities_name_the_extractor(nlp: Any) -> None:
    _, ours = _extractors()
    message = Message(data={TEXT: "pay €45.50"})
    ours.process([message], SpacyModel(model=nlp, model_name="test"))
    assert [e["extractor"] for e in message.get(ENTITIES)] == ["RulerEntityExtractor"]


def test_pattern_on_lemmas_needs_the_whole_pipeline(nlp: Any) -> None:
    # "paid" is only matched through its lemma "pay": the lemmatizer must run first.
    lemma_nlp = build_pipeline()
    lemma_nlp.get_pipe("entity_ruler").add_patterns(
        [{"label": "payment_verb", "pattern": [{"LEMMA": "pay"}]}]
    )
    assert ruler_only_components(lemma_nlp) is None
    stock, ours = _extractors()
    expected = _entities(stock, lemma_nlp, "I paid it")
    assert {"entity": "payment_verb", "value": "paid"}.items() <= expected[0].items()
    assert _entities(ours, lemma_nlp, "I paid it") == expected


def test_other_components_need_the_whole_pipeline() -> None:
    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    blank.add_pipe("entity_ruler").add_patterns([{"label": "money", "pattern": "€5"}])
    assert ruler_only_components(blank) is None
    assert ruler_only_components(spacy.blank("en")) is None
