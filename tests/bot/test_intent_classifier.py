"""LinearIntentClassifier trained on small hand-written data with real Rasa featurizers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent_classifier import LinearIntentClassifier, fit_temperature, softmax
from bot.sentence_featurizer import EmbeddingModelMissing, StaticSentenceFeaturizer, package_file

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hey", "hello bot", "hi"],
    "refund_status": [
        "where is my refund",
        "has my refund been processed",
        "when will I get my money back",
        "refund status please",
        "I am still waiting for my refund",
        "did you send the refund",
    ],
    "next_payment": [
        "when is my next payment",
        "how much is my next instalment",
        "next payment date",
        "when do I pay next",
        "what is due next month",
        "upcoming instalment amount",
    ],
}


class Pipeline:
    """Tokenizer, featurizers and the classifier, wired as Rasa's graph would wire them."""

    def __init__(self, tmp_path: Path, dense: bool, **classifier_config: Any) -> None:
        (tmp_path / "storage").mkdir(parents=True)
        self.storage = LocalModelStorage(tmp_path / "storage")
        self.context = ExecutionContext(GraphSchema({}), "test")
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.featurizers: list[Any] = [
            self._count_vectors("words", {}),
            self._count_vectors("chars", {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}),
        ]
        if dense:
            self.featurizers.append(
                StaticSentenceFeaturizer.create(
                    {**StaticSentenceFeaturizer.get_default_config(), "alias": "embedding"},
                    self.storage,
                    Resource("embedding"),
                    self.context,
                )
            )
        self.config = {**LinearIntentClassifier.get_default_config(), **classifier_config}
        self.resource = Resource("classifier")
        self.classifier = LinearIntentClassifier.create(
            self.config, self.storage, self.resource, self.context
        )

    def _count_vectors(self, alias: str, config: dict[str, Any]) -> CountVectorsFeaturizer:
        full = {**CountVectorsFeaturizer.get_default_config(), **config, "alias": alias}
        return CountVectorsFeaturizer.create(full, self.storage, Resource(alias), self.context)

    def train(self, examples: dict[str, list[str]]) -> None:
        data = TrainingData(
            [
                Message.build(text=text, intent=intent)
                for intent, texts in examples.items()
                for text in texts
            ]
        )
        self.tokenizer.process_training_data(data)
        for featurizer in self.featurizers:
            if isinstance(featurizer, CountVectorsFeaturizer):
                featurizer.train(data)
            featurizer.process_training_data(data)
        self.classifier.train(data)

    def featurize(self, text: str) -> Message:
        message = Message.build(text=text)
        self.tokenizer.process([message])
        for featurizer in self.featurizers:
            featurizer.process([message])
        return message

    def parse(self, text: str, classifier: LinearIntentClassifier | None = None) -> Message:
        message = self.featurize(text)
        (classifier or self.classifier).process([message])
        return message

    def reload(self) -> LinearIntentClassifier:
        return LinearIntentClassifier.load(self.config, self.storage, self.resource, self.context)


def _wordllama_installed() -> bool:
    try:
        package_file("wordllama", "weights")
    except EmbeddingModelMissing:
        return False
    return True


needs_wordllama = pytest.mark.skipif(not _wordllama_installed(), reason="wordllama not installed")


@pytest.fixture
def trained(tmp_path) -> Pipeline:
    pipeline = Pipeline(tmp_path, dense=False)
    pipeline.train(EXAMPLES)
    return pipeline


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hello there", "greet"),
        ("where is the refund", "refund_status"),
        ("when is the next payment due", "next_payment"),
    ],
)
def test_classifies_messages_like_its_examples(trained, text, intent):
    message = trained.parse(text)
    assert message.get("intent")["name"] == intent


def test_ranking_is_sorted_probabilities_headed_by_the_intent(trained):
    message = trained.parse("when will my refund arrive")
    intent = message.get("intent")
    ranking = message.get("intent_ranking")
    confidences = [entry["confidence"] for entry in ranking]
    assert ranking[0]["name"] == intent["name"]
    assert confidences == sorted(confidences, reverse=True)
    assert confidences[0] == intent["confidence"]
    assert {entry["name"] for entry in ranking} == set(EXAMPLES)
    assert sum(confidences) == pytest.approx(1.0)
    assert all(0.0 < c < 1.0 for c in confidences)


@pytest.mark.parametrize(("length", "expected"), [(0, 3), (1, 1), (2, 2), (10, 3)])
def test_ranking_length_limits_the_ranking(tmp_path, length, expected):
    pipeline = Pipeline(tmp_path, dense=False, ranking_length=length)
    pipeline.train(EXAMPLES)
    assert len(pipeline.parse("refund please").get("intent_ranking")) == expected


def test_persisted_model_loads_and_predicts_the_same(trained):
    loaded = trained.reload()
    for text in ["hello", "refund status", "what do I owe next", "zebra"]:
        original = trained.parse(text)
        reloaded = trained.parse(text, loaded)
        assert reloaded.get("intent") == original.get("intent")
        assert reloaded.get("intent_ranking") == original.get("intent_ranking")
    persisted = list((trained.storage._storage_path / "classifier").iterdir())
    assert sorted(path.suffix for path in persisted) == [".json", ".npz"]


@pytest.mark.parametrize("text", ["", "qqqq"])
def test_message_without_known_features_gets_no_intent(tmp_path, text):
    pipeline = Pipeline(tmp_path, dense=False)
    # Word features only: an unseen word has no feature at all.
    pipeline.featurizers = pipeline.featurizers[:1]
    pipeline.train(EXAMPLES)
    message = pipeline.parse(text)
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_unseen_words_still_get_a_ranked_intent_from_character_ngrams(trained):
    message = trained.parse("refundd statuss")
    assert message.get("intent")["name"] == "refund_status"


@needs_wordllama
def test_embedding_understands_a_paraphrase_without_shared_words(tmp_path):
    pipeline = Pipeline(tmp_path, dense=True, sparse_weight=0.0)
    pipeline.train(EXAMPLES)
    # No word of this message is in the refund examples.
    message = pipeline.parse("reimbursement not received yet")
    assert message.get("intent")["name"] == "refund_status"


def test_untrained_model_predicts_no_intent(tmp_path):
    pipeline = Pipeline(tmp_path, dense=False)
    pipeline.train({"greet": EXAMPLES["greet"]})  # one intent: nothing to tell apart
    for classifier in (pipeline.classifier, pipeline.reload()):
        message = pipeline.parse("hello", classifier)
        assert message.get("intent") == {"name": None, "confidence": 0.0}


def test_features_of_another_size_than_in_training_are_an_error(trained, tmp_path):
    other = Pipeline(tmp_path / "other", dense=False)
    other.train({"a": ["completely different words"], "b": ["nothing alike here"]})
    with pytest.raises(ValueError, match="columns"):
        trained.classifier.process([other.featurize("different words")])


@pytest.mark.parametrize(
    "config",
    [
        {"C": 0},
        {"dense_weight": -1.0},
        {"featurizer_weights": {"words": -0.5}},
        {"class_weight": "inverse"},
        {"ranking_length": -1},
    ],
)
def test_invalid_config_is_rejected(config):
    with pytest.raises(InvalidConfigException):
        LinearIntentClassifier.validate_config(
            {**LinearIntentClassifier.get_default_config(), **config}
        )


def test_featurizer_weight_zero_leaves_that_featurizer_out(tmp_path):
    pipeline = Pipeline(tmp_path, dense=False, featurizer_weights={"chars": 0.0})
    pipeline.train(EXAMPLES)
    assert pipeline.classifier.model is not None
    assert [block.origin for block in pipeline.classifier.model.blocks] == ["words"]


@pytest.mark.parametrize("temperature", [0.5, 2.0, 5.0])
def test_fit_temperature_recovers_the_temperature_that_generated_the_labels(temperature):
    rng = np.random.default_rng(7)
    logits = rng.normal(scale=4.0, size=(4000, 6))
    probabilities = softmax(logits / temperature)
    gold = np.array([rng.choice(6, p=row) for row in probabilities])
    assert fit_temperature(logits, gold) == pytest.approx(temperature, rel=0.15)
