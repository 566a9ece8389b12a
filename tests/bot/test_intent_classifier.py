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
    TokenAlignment,
    _sparse_row,
    dense_columns,
    example_slots,
    fit_temperature,
    group_examples,
    nearest_two_similarities,
    softmax,
    token_features,
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

    def __init__(
        self,
        tmp_path: Path,
        dense: bool,
        featurizer_config: dict[str, Any] | None = None,
        **classifier_config: Any,
    ) -> None:
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
                    {
                        **StaticSentenceFeaturizer.get_default_config(),
                        **(featurizer_config or {}),
                        "alias": "embedding",
                    },
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
        {"second_nearest_weight": -1.0},
        {"intent_name_weight": -0.5},
        {"token_alignment_weight": -3.0},
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


def test_nearest_two_similarities_are_the_best_cosines_per_intent():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    labels = np.array([1, 0, 1, 0, 2])
    grouped, starts = group_examples(vectors, labels, 3)
    np.testing.assert_array_equal(starts, [0, 2, 4])
    slots = example_slots(starts, len(grouped))
    np.testing.assert_array_equal(slots, [[0, 1], [2, 3], [4, -1]])
    query = np.array([3.0, 0.0])
    # intent 0: [0, 1] -> 0, [-1, 0] -> -1; intent 1: [1, 0] -> 1, [1, 1] -> 0.707;
    # intent 2 has one example, [0, -1] -> 0, which is its second nearest too.
    first, second = nearest_two_similarities(grouped, slots, query)
    np.testing.assert_allclose(first, [0.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(second, [-1.0, np.sqrt(0.5), 0.0], atol=1e-6)
    first, second = nearest_two_similarities(grouped, slots, np.stack([query, -query]))
    np.testing.assert_allclose(first, [[0.0, 1.0, 0.0], [1.0, -np.sqrt(0.5), 0.0]], atol=1e-6)
    np.testing.assert_allclose(second, [[-1.0, np.sqrt(0.5), 0.0], [0.0, -1.0, 0.0]], atol=1e-6)


def _brute_force_alignment(message: tuple[list[str], np.ndarray], example: np.ndarray) -> float:
    unit = message[1] / np.linalg.norm(message[1], axis=1, keepdims=True)
    other = example / np.linalg.norm(example, axis=1, keepdims=True)
    return float((unit @ other.T).max(axis=1).mean())


def test_token_alignment_is_the_mean_best_word_similarity():
    rng = np.random.default_rng(3)
    words = {word: rng.normal(size=4) for word in ["my", "card", "is", "lost", "hello", "there"]}
    examples = [["my", "card", "is", "lost"], ["hello", "there"], ["lost", "card"]]
    vectors = [np.stack([words[w] for w in example]) for example in examples]
    alignment = TokenAlignment.build(examples, vectors)
    assert sorted(alignment.words) == sorted(words)
    unknown = rng.normal(size=4)
    message = (["hello", "card", "zebra"], np.stack([words["hello"], words["card"], unknown]))
    expected = [_brute_force_alignment(message, example) for example in vectors]
    np.testing.assert_allclose(alignment.scores(*message), expected, rtol=1e-5)
    # Every example against every example, as messages.
    between = [
        [_brute_force_alignment((example, own), other) for other in vectors]
        for example, own in zip(examples, vectors, strict=True)
    ]
    np.testing.assert_allclose(alignment.between_examples(), between, rtol=1e-5)


def test_token_alignment_refuses_an_example_without_tokens():
    with pytest.raises(ValueError, match="at least one token"):
        TokenAlignment.build([["hi"], []], [np.ones((1, 2)), np.zeros((0, 2))])


def test_grouping_refuses_an_intent_without_examples():
    with pytest.raises(ValueError, match="every intent"):
        group_examples(np.eye(2), np.array([0, 2]), 3)


ALL_TERMS_OFF = {
    "nearest_example_weight": 0.0,
    "second_nearest_weight": 0.0,
    "intent_name_weight": 0.0,
    "token_alignment_weight": 0.0,
}
WITH_TOKENS = {"sequence_features": True, "intent_features": True}


def _expected_scores(pipeline: Pipeline, message: Message, weights: dict[str, float]) -> np.ndarray:
    """The calibrated probabilities computed the long way from the model's parts."""
    model = pipeline.classifier.model
    assert model is not None
    row = FeatureEncoder(model.blocks, model.idf).matrix([message]).toarray()[0]
    scores = model.weights.astype(np.float64) @ row + model.bias
    embedding = row[dense_columns(model.blocks)]
    unit = embedding / np.linalg.norm(embedding)
    if weights["intent_name_weight"]:
        scores += weights["intent_name_weight"] * (model.names.astype(np.float64) @ unit)
    examples = model.examples.astype(np.float64)
    ends = [*model.example_starts[1:], len(examples)] if len(examples) else []
    groups = [range(start, end) for start, end in zip(model.example_starts, ends, strict=True)]
    alignment = None
    if weights["token_alignment_weight"]:
        assert model.tokens is not None
        found = token_features(message, model.blocks)
        assert found is not None
        alignment = model.tokens.scores(*found)
    for intent, rows in enumerate(groups):
        similarities = sorted((examples[list(rows)] @ unit).tolist(), reverse=True)
        scores[intent] += weights["nearest_example_weight"] * similarities[0]
        scores[intent] += weights["second_nearest_weight"] * similarities[min(1, len(rows) - 1)]
        if alignment is not None:
            scores[intent] += weights["token_alignment_weight"] * max(alignment[i] for i in rows)
    return softmax(scores / model.temperature)


@needs_wordllama
@pytest.mark.parametrize(
    ("weights", "featurizer_config"),
    [
        (ALL_TERMS_OFF, {}),
        ({**ALL_TERMS_OFF, "nearest_example_weight": 3.0}, {}),
        ({**ALL_TERMS_OFF, "second_nearest_weight": 2.0}, {}),
        ({**ALL_TERMS_OFF, "intent_name_weight": 2.0}, WITH_TOKENS),
        ({**ALL_TERMS_OFF, "token_alignment_weight": 3.0}, WITH_TOKENS),
        (LinearIntentClassifier.get_default_config(), WITH_TOKENS),
    ],
    ids=["off", "nearest", "second", "name", "tokens", "defaults"],
)
def test_similarity_terms_are_part_of_the_calibrated_scores(tmp_path, weights, featurizer_config):
    chosen = {key: weights[key] for key in ALL_TERMS_OFF}
    pipeline = Pipeline(tmp_path, dense=True, featurizer_config=featurizer_config, **chosen)
    pipeline.train(EXAMPLES)
    model = pipeline.classifier.model
    assert model is not None
    assert model.similarity.nearest == chosen["nearest_example_weight"]
    assert model.similarity.tokens == chosen["token_alignment_weight"]
    assert (model.tokens is not None) == (chosen["token_alignment_weight"] > 0.0)
    assert len(model.names) == (3 if chosen["intent_name_weight"] else 0)
    for text in ["my money has not come back yet", "hello zebra", "next instalment please"]:
        message = pipeline.featurize(text)
        np.testing.assert_allclose(
            pipeline.classifier.probabilities(message),
            _expected_scores(pipeline, message, chosen),
            rtol=1e-4,
        )
        reloaded = pipeline.parse(text, pipeline.reload())
        assert reloaded.get("intent_ranking") == pipeline.parse(text).get("intent_ranking")


@needs_wordllama
def test_terms_without_their_features_are_left_out(tmp_path):
    # The featurizer gives neither intent-name nor per-token vectors: those terms are off.
    pipeline = Pipeline(tmp_path, dense=True)
    pipeline.train(EXAMPLES)
    model = pipeline.classifier.model
    assert model is not None
    assert model.similarity.name == 0.0
    assert model.similarity.tokens == 0.0
    assert model.tokens is None
    assert len(model.names) == 0
    assert (
        model.similarity.nearest
        == LinearIntentClassifier.get_default_config()["nearest_example_weight"]
    )
    assert pipeline.parse("where is my refund").get("intent")["name"] == "refund_status"


@needs_wordllama
def test_intent_names_alone_recognise_a_message_like_the_name(tmp_path):
    # No n-grams, no regression to speak of: only the similarity to the intents' names.
    pipeline = Pipeline(
        tmp_path,
        dense=True,
        featurizer_config={"intent_features": True},
        sparse_weight=0.0,
        C=1e-6,
        **{**ALL_TERMS_OFF, "intent_name_weight": 50.0},
    )
    pipeline.train(EXAMPLES)
    assert pipeline.parse("refund status?").get("intent")["name"] == "refund_status"
    assert pipeline.parse("my next payment").get("intent")["name"] == "next_payment"


def _rewrite_persisted(pipeline: Pipeline, format_version: int) -> None:
    """Turn the persisted model into one of another format (as an older release wrote it)."""
    directory = pipeline.storage._storage_path / "classifier"
    meta_path = directory / "linear_intent_classifier.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format"] = format_version
    for key in ("nearest_weight", "second_weight", "name_weight", "token_weight", "token_words"):
        meta.pop(key, None)
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    arrays_path = directory / "linear_intent_classifier.npz"
    with np.load(arrays_path) as arrays:
        kept = {
            name: arrays[name]
            for name in arrays.files
            if not name.startswith(("example", "names", "token"))
        }
    np.savez(arrays_path, **kept)


def test_a_model_from_before_the_nearest_example_term_still_loads(trained):
    _rewrite_persisted(trained, 1)
    loaded = trained.reload()
    assert loaded.model is not None
    assert loaded.model.similarity.nearest == 0.0
    for text in ["hello", "refund status"]:
        assert trained.parse(text, loaded).get("intent") == trained.parse(text).get("intent")


def test_a_model_of_an_unknown_format_is_refused(trained):
    _rewrite_persisted(trained, 99)
    with pytest.raises(InvalidConfigException, match="format 99"):
        trained.reload()
