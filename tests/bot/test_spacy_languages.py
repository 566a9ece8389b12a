"""bot.spacy_languages.SpacyNLP: each message gets the doc of its language's pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils import spacy_utils
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.entities import RulerEntityExtractor
from bot.language_tagger import LanguageTagger
from bot.spacy_languages import LanguageSpacyModel, SpacyNLP, pipeline_for
from bot.spacy_pipeline import ensure_pipeline


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spacy")
    out = {code: root / f"{code}_payments" for code in ("en", "es")}
    for code, path in out.items():
        ensure_pipeline(path, language=code)
    return out


def _create(component: Any, config: dict[str, Any], tmp_path: Path) -> Any:
    return component.create(
        {**component.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource(component.__name__),
        ExecutionContext(GraphSchema({})),
    )


@pytest.fixture
def graph(pipelines, tmp_path) -> tuple[Any, Any, Any, Any]:
    config = {"model": str(pipelines["en"]), "models": {"es": str(pipelines["es"])}}
    spacy_nlp = _create(SpacyNLP, config, tmp_path)
    stock = _create(spacy_utils.SpacyNLP, {"model": str(pipelines["en"])}, tmp_path)
    tagger = _create(LanguageTagger, {}, tmp_path)
    tokenizer = _create(SpacyTokenizer, {}, tmp_path)
    return tagger, spacy_nlp, stock, tokenizer


def _message(text: str, metadata: dict[str, Any] | None = None) -> Message:
    return Message(data={TEXT: text, "metadata": metadata or {}})


def test_the_recipe_finds_the_provider_by_its_stock_name() -> None:
    # components with model_from="SpacyNLP" (tokenizer, extractors) get our model
    assert SpacyNLP.__name__ == "SpacyNLP"
    assert DefaultV1Recipe._from_registry("bot.spacy_languages.SpacyNLP").clazz is SpacyNLP


def test_each_message_gets_its_languages_doc(graph) -> None:
    tagger, spacy_nlp, _, tokenizer = graph
    model = spacy_nlp.provide()
    assert isinstance(model, LanguageSpacyModel)
    english, spanish = _message("I was charged twice"), _message("me cobraron dos veces")
    messages = tagger.process([english, spanish])
    spacy_nlp.process(messages, model)
    tokenizer.process(messages)
    assert english.get(SPACY_DOCS[TEXT]).lang_ == "en"
    assert spanish.get(SPACY_DOCS[TEXT]).lang_ == "es"
    assert [t.lemma for t in spanish.get("text_tokens")] == ["me", "cobrar", "dos", "vez"]


def test_english_docs_are_stock(graph) -> None:
    tagger, spacy_nlp, stock, _ = graph
    texts = ["you're not helping!!", "Where is ORD-104233?", "I paid €45.50 on 5 December"]
    ours = tagger.process([_message(t) for t in texts])
    theirs = [_message(t) for t in texts]
    spacy_nlp.process(ours, spacy_nlp.provide())
    stock.process(theirs, stock.provide())
    for a, b in zip(ours, theirs, strict=True):
        doc_a, doc_b = a.get(SPACY_DOCS[TEXT]), b.get(SPACY_DOCS[TEXT])
        assert [(t.text, t.lemma_) for t in doc_a] == [(t.text, t.lemma_) for t in doc_b]


def test_metadata_language_picks_the_pipeline(graph) -> None:
    tagger, spacy_nlp, _, _ = graph
    message = tagger.process([_message("ok", {"language": "es"})])[0]
    spacy_nlp.process([message], spacy_nlp.provide())
    assert message.get(SPACY_DOCS[TEXT]).lang_ == "es"


def test_training_docs_follow_each_examples_language(graph) -> None:
    tagger, spacy_nlp, _, _ = graph
    examples = [
        Message(data={TEXT: "quiero hablar con una persona", "intent": "request_human"}),
        Message(data={TEXT: "let me talk to a person", "intent": "request_human"}),
        Message(data={"intent": "greet"}),
    ]
    data = tagger.process_training_data(TrainingData(training_examples=examples))
    spacy_nlp.process_training_data(data, spacy_nlp.provide())
    assert examples[0].get(SPACY_DOCS[TEXT]).lang_ == "es"
    assert [t.lemma_ for t in examples[0].get(SPACY_DOCS[TEXT])][:2] == ["querer", "hablar"]
    assert examples[1].get(SPACY_DOCS[TEXT]).lang_ == "en"
    assert examples[2].get(SPACY_DOCS[TEXT]) is None


def test_entities_come_from_the_messages_language(graph) -> None:
    tagger, spacy_nlp, _, _ = graph
    extractor = RulerEntityExtractor(SpacyEntityExtractor.get_default_config())
    model = spacy_nlp.provide()
    spanish = tagger.process([_message("me cobraron 45,50 € el 5 de diciembre por ORD-104233")])
    english = tagger.process([_message("I paid €45.50 on 5 December 2026 for ORD-104233")])
    for message in (*spanish, *english):
        extractor.process([message], model)
    found = [[(e["entity"], e["value"]) for e in m.get(ENTITIES)] for m in (*spanish, *english)]
    assert found == [
        [("money", "45,50 €"), ("date", "5 de diciembre"), ("order_number", "ORD-104233")],
        [("money", "€45.50"), ("date", "5 December 2026"), ("order_number", "ORD-104233")],
    ]


def test_a_plain_model_serves_every_language(pipelines) -> None:
    model = spacy_utils.SpacyNLP.load_model(str(pipelines["en"]))
    message = _message("hola", None)
    message.set("language", {"code": "es", "probability": 1.0, "source": "metadata"})
    assert pipeline_for(model, message) is model.model


def test_a_pipeline_of_the_wrong_language_is_refused(pipelines, tmp_path) -> None:
    config = {"model": str(pipelines["en"]), "models": {"es": str(pipelines["en"])}}
    with pytest.raises(InvalidConfigException, match=r"models\.es"):
        _create(SpacyNLP, config, tmp_path)
