"""StaticSentenceFeaturizer with a tiny hand-made model (and WordLlama's when installed)."""

from pathlib import Path

import numpy as np
import pytest

tokenizers = pytest.importorskip("tokenizers", reason="the featurizer needs HF tokenizers")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

from rasa.engine.graph import ExecutionContext  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.constants import INTENT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.sentence_featurizer import (  # noqa: E402
    EmbeddingModelMissing,
    StaticEmbeddings,
    StaticSentenceFeaturizer,
    intent_text,
    package_file,
)

VOCAB = {"[UNK]": 0, "card": 1, "lost": 2, "my": 3, "hello": 4}


@pytest.fixture
def model_files(tmp_path: Path) -> tuple[Path, Path]:
    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer_path = tmp_path / "tokenizer.json"
    tokenizer.save(str(tokenizer_path))
    table = np.zeros((len(VOCAB), 3), dtype=np.float16)
    table[1] = [1, 0, 0]
    table[2] = [0, 1, 0]
    table[3] = [0, 0, 1]
    table[4] = [2, 2, 0]
    weights_path = tmp_path / "weights.safetensors"
    safetensors_numpy.save_file({"embedding.weight": table}, str(weights_path))
    return weights_path, tokenizer_path


def _create(tmp_path: Path, **config: object) -> StaticSentenceFeaturizer:
    full = {**StaticSentenceFeaturizer.get_default_config(), **config}
    return StaticSentenceFeaturizer.create(
        full,
        LocalModelStorage(tmp_path / "storage"),
        Resource("featurizer"),
        ExecutionContext(node_name="featurizer", graph_schema=None),  # type: ignore[arg-type]
    )


def _message(text: str, intent: str = "x") -> Message:
    message = Message.build(text=text, intent=intent)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(TrainingData([message]))
    return message


@pytest.mark.parametrize("normalize", [True, False])
def test_sentence_vector_is_the_mean_of_subword_vectors(tmp_path, model_files, normalize):
    weights, tokenizer = model_files
    featurizer = _create(
        tmp_path, weights_path=str(weights), tokenizer_path=str(tokenizer), normalize=normalize
    )
    message = _message("my card")
    featurizer.process([message])
    _sequence, sentence = message.get_dense_features("text")
    expected = np.array([0.5, 0.0, 0.5])
    if normalize:
        expected = expected / np.linalg.norm(expected)
    np.testing.assert_allclose(sentence.features, [expected], rtol=1e-6)


@pytest.mark.parametrize("sequence_features", [True, False])
def test_token_vectors_only_when_asked_for(tmp_path, model_files, sequence_features):
    # Only sequence models (DIET) read per-token vectors; by default they are not computed.
    weights, tokenizer = model_files
    featurizer = _create(
        tmp_path,
        weights_path=str(weights),
        tokenizer_path=str(tokenizer),
        sequence_features=sequence_features,
    )
    message = _message("my card")
    featurizer.process([message])
    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, 3)
    if sequence_features:
        np.testing.assert_allclose(sequence.features, [[0, 0, 1], [1, 0, 0]])
    else:
        assert sequence is None


def test_token_vectors_are_off_by_default():
    assert StaticSentenceFeaturizer.get_default_config()["sequence_features"] is False


def test_unknown_words_fall_back_to_the_unknown_row(tmp_path, model_files):
    weights, tokenizer = model_files
    featurizer = _create(tmp_path, weights_path=str(weights), tokenizer_path=str(tokenizer))
    message = _message("zebra")
    featurizer.process([message])
    _sequence, sentence = message.get_dense_features("text")
    np.testing.assert_allclose(sentence.features, [[0, 0, 0]])


def test_training_data_gets_the_same_features_as_parsing(tmp_path, model_files):
    weights, tokenizer = model_files
    featurizer = _create(tmp_path, weights_path=str(weights), tokenizer_path=str(tokenizer))
    trained, parsed = _message("hello my card"), _message("hello my card")
    featurizer.process_training_data(TrainingData([trained]))
    featurizer.process([parsed])
    np.testing.assert_array_equal(
        trained.get_dense_features("text")[1].features,
        parsed.get_dense_features("text")[1].features,
    )


@pytest.mark.parametrize(
    "config",
    [
        {"weights_path": "/nonexistent/w.safetensors", "tokenizer_path": "/nonexistent/t.json"},
        {"package": "no_such_package_for_embeddings"},
    ],
)
def test_missing_model_files_fail_loudly_and_never_download(tmp_path, config):
    with pytest.raises(EmbeddingModelMissing):
        _create(tmp_path, **config)


def test_wrong_tensor_name_is_reported(tmp_path, model_files):
    weights, tokenizer = model_files
    with pytest.raises(EmbeddingModelMissing, match="tensor"):
        _create(tmp_path, weights_path=str(weights), tokenizer_path=str(tokenizer), tensor="x")


@pytest.mark.parametrize(
    "config", [{"package": None, "weights_path": None}, {"tokenizer": None, "package": None}]
)
def test_validate_config_requires_model_files(config):
    with pytest.raises(ValueError, match="set `"):
        StaticSentenceFeaturizer.validate_config(
            {**StaticSentenceFeaturizer.get_default_config(), **config}
        )


def test_shipped_wordllama_model_puts_paraphrases_closer_than_unrelated_text(tmp_path):
    try:
        package_file("wordllama", "weights")
    except EmbeddingModelMissing:
        pytest.skip("wordllama is not installed")
    featurizer = _create(tmp_path)
    texts = [
        "my card has not arrived yet",
        "still waiting for my new card",
        "what is the exchange rate",
    ]
    messages = [_message(text) for text in texts]
    featurizer.process(messages)
    vectors = [m.get_dense_features("text")[1].features[0] for m in messages]
    assert vectors[0].shape == (256,)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


@pytest.mark.parametrize(("alias", "origin"), [(None, "featurizer"), ("embedding", "embedding")])
def test_features_carry_the_alias_or_the_node_name(tmp_path, model_files, alias, origin):
    # Consumers (DIET's `featurizers`, bot.intent_classifier) select features by this name.
    weights, tokenizer = model_files
    featurizer = _create(
        tmp_path, weights_path=str(weights), tokenizer_path=str(tokenizer), alias=alias
    )
    message = _message("my card")
    featurizer.process([message])
    assert {feature.origin for feature in message.features} == {origin}


@pytest.mark.parametrize(
    ("intent", "text"),
    [("card_lost", "card lost"), ("greet", "greet"), ("_top__up_", "top up")],
)
def test_intent_names_are_read_as_words(intent, text):
    assert intent_text(intent) == text


@pytest.mark.parametrize("intent_features", [True, False])
def test_intent_name_vectors_only_in_training_and_only_when_asked_for(
    tmp_path, model_files, intent_features
):
    weights, tokenizer = model_files
    featurizer = _create(
        tmp_path,
        weights_path=str(weights),
        tokenizer_path=str(tokenizer),
        intent_features=intent_features,
    )
    trained = [_message("hello", intent="card_lost"), _message("my card", intent="card_lost")]
    featurizer.process_training_data(TrainingData(trained))
    parsed = _message("my card", intent="card_lost")
    featurizer.process([parsed])
    assert parsed.get_dense_features(INTENT) == (None, None)
    expected = np.array([[1.0, 1.0, 0.0]]) / np.sqrt(2.0)  # mean of "card" and "lost"
    for message in trained:
        sequence, sentence = message.get_dense_features(INTENT)
        assert sequence is None
        if intent_features:
            np.testing.assert_allclose(sentence.features, expected, rtol=1e-6)
        else:
            assert sentence is None


def test_intent_name_vectors_are_off_by_default():
    assert StaticSentenceFeaturizer.get_default_config()["intent_features"] is False


@pytest.mark.parametrize("cache_size", [0, 1, 2, 100])
def test_token_vectors_do_not_depend_on_the_cache(model_files, cache_size):
    weights, tokenizer = model_files
    embeddings = StaticEmbeddings.from_files(weights, tokenizer, "embedding.weight", True)
    cached = StaticEmbeddings(embeddings._tokenizer, embeddings._table, True, cache_size)
    texts = [["my", "card", "my"], ["lost", "card", "zebra"], ["hello", "my"], []]
    uncached = StaticEmbeddings(embeddings._tokenizer, embeddings._table, True, 0)
    for tokens in texts * 2:
        np.testing.assert_array_equal(cached.tokens(tokens), uncached.tokens(tokens))
    assert len(cached._token_cache) <= cache_size
