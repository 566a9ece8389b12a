"""LinearIntentClassifier trained on small hand-written data with real Rasa featurizers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent_classifier import (
    FeatureEncoder,
    LinearIntentClassifier,
    _sparse_row,
    dense_columns,
    fit_temperature,
    group_examples,
    nearest_similarity,
    softmax,
)
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


@pytest.mark.parametrize("temperature", [0.5, 2.0, 3.0])
def test_fit_temperature_recovers_the_temperature_that_generated_the_labels(temperature):
    rng = np.random.default_rng(7)
    logits = rng.normal(scale=4.0, size=(4000, 6))
    probabilities = softmax(logits / temperature)
    gold = np.array([rng.choice(6, p=row) for row in probabilities])
    assert fit_temperature(logits, gold) == pytest.approx(temperature, rel=0.15)


@pytest.mark.parametrize(
    ("columns", "values", "expected_columns", "expected_values"),
    [
        ([5, 1, 3], [1.0, 2.0, 3.0], [1, 3, 5], [2.0, 3.0, 1.0]),
        ([4, 2, 4, 2, 0], [1.0, 1.0, 2.0, 0.5, 7.0], [0, 2, 4], [7.0, 1.5, 3.0]),
        ([], [], [], []),
    ],
    ids=["unsorted", "duplicates", "empty"],
)
@pytest.mark.parametrize("sparse_format", ["coo", "csr"])
def test_sparse_row_sorts_columns_and_sums_duplicates(
    columns, values, expected_columns, expected_values, sparse_format
):
    matrix = scipy.sparse.coo_matrix(
        (np.asarray(values, dtype=np.float64), (np.zeros(len(columns), dtype=int), columns)),
        shape=(1, 8),
    )
    if sparse_format == "csr":
        matrix = matrix.tocsr()
    index, data = _sparse_row(Features(matrix, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    np.testing.assert_array_equal(index, expected_columns)
    np.testing.assert_allclose(data, expected_values)


def test_probabilities_are_the_calibrated_softmax_of_the_linear_scores(trained):
    # The parse-time shortcut (transposed weights, einsum over active features) must equal
    # the textbook computation on the full feature row.
    model = trained.classifier.model
    assert model is not None
    message = trained.featurize("when will my refund arrive")
    encoder = FeatureEncoder(model.blocks, model.idf)
    row = encoder.matrix([message]).toarray()[0]
    expected = softmax((model.weights.astype(np.float64) @ row + model.bias) / model.temperature)
    np.testing.assert_allclose(trained.classifier.probabilities(message), expected, rtol=1e-5)


def test_nearest_similarity_is_the_best_cosine_per_intent():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 0.0]])
    labels = np.array([1, 0, 1, 0])
    grouped, starts = group_examples(vectors, labels, 2)
    np.testing.assert_array_equal(starts, [0, 2])
    query = np.array([3.0, 0.0])
    # intent 0: [0, 1] -> 0, [-1, 0] -> -1; intent 1: [1, 0] -> 1, [1, 1] -> 0.707
    np.testing.assert_allclose(nearest_similarity(grouped, starts, query), [0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(
        nearest_similarity(grouped, starts, np.stack([query, -query])),
        [[0.0, 1.0], [1.0, -np.sqrt(0.5)]],
        atol=1e-6,
    )


def test_grouping_refuses_an_intent_without_examples():
    with pytest.raises(ValueError, match="every intent"):
        group_examples(np.eye(2), np.array([0, 2]), 3)


@needs_wordllama
@pytest.mark.parametrize("nearest_example_weight", [0.0, 3.0])
def test_nearest_example_term_is_part_of_the_calibrated_scores(tmp_path, nearest_example_weight):
    pipeline = Pipeline(tmp_path, dense=True, nearest_example_weight=nearest_example_weight)
    pipeline.train(EXAMPLES)
    model = pipeline.classifier.model
    assert model is not None
    assert model.nearest_weight == nearest_example_weight
    assert len(model.examples) == (18 if nearest_example_weight else 0)
    message = pipeline.featurize("my money has not come back yet")
    encoder = FeatureEncoder(model.blocks, model.idf)
    row = encoder.matrix([message]).toarray()[0]
    scores = model.weights.astype(np.float64) @ row + model.bias
    if nearest_example_weight:
        embedding = row[dense_columns(model.blocks)]
        scores += nearest_example_weight * nearest_similarity(
            model.examples, model.example_starts, embedding
        )
    expected = softmax(scores / model.temperature)
    np.testing.assert_allclose(pipeline.classifier.probabilities(message), expected, rtol=1e-5)
    reloaded = pipeline.parse("my money has not come back yet", pipeline.reload())
    assert reloaded.get("intent_ranking") == pipeline.parse("my money has not come back yet").get(
        "intent_ranking"
    )


def _rewrite_persisted(pipeline: Pipeline, format_version: int) -> None:
    """Turn the persisted model into one of another format (as an older release wrote it)."""
    directory = pipeline.storage._storage_path / "classifier"
    meta_path = directory / "linear_intent_classifier.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format"] = format_version
    del meta["nearest_weight"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    arrays_path = directory / "linear_intent_classifier.npz"
    with np.load(arrays_path) as arrays:
        kept = {name: arrays[name] for name in arrays.files if not name.startswith("example")}
    np.savez(arrays_path, **kept)


def test_a_model_from_before_the_nearest_example_term_still_loads(trained):
    _rewrite_persisted(trained, 1)
    loaded = trained.reload()
    assert loaded.model is not None
    assert loaded.model.nearest_weight == 0.0
    for text in ["hello", "refund status"]:
        assert trained.parse(text, loaded).get("intent") == trained.parse(text).get("intent")


def test_a_model_of_an_unknown_format_is_refused(trained):
    _rewrite_persisted(trained, 99)
    with pytest.raises(InvalidConfigException, match="format 99"):
        trained.reload()
