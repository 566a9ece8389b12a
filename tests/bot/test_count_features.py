"""SentenceCountVectorsFeaturizer gives exactly stock CountVectorsFeaturizer's sentence features."""

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
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.count_features import SentenceCountVectorsFeaturizer

TRAINING = [
    ("when is my next payment due", "next_payment"),
    ("how much is my next instalment", "next_payment"),
    ("where is my refund", "refund_status"),
    ("has my refund been processed yet", "refund_status"),
    ("my card was declined at the checkout", "declined"),
    ("why was my payment declined twice", "declined"),
]
UNSEEN = [
    "When is the NEXT payment due??",
    "refund refund refund",
    "zzz qqq",  # nothing in the vocabulary: an all-zero row
    "Pay £25.50 on 3 March, order #A-1234",
    "déclined çard",
]
CONFIGS = [
    {},
    {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"analyzer": "word", "max_ngram": 2, "OOV_token": "oov", "OOV_words": ["qqq"]},
    {"analyzer": "char", "min_ngram": 2, "max_ngram": 3, "use_shared_vocab": True},
]


def _tokenized(texts: list[str], intents: list[str] | None = None) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [
        Message(data={TEXT: text, **({INTENT: intents[i]} if intents else {})})
        for i, text in enumerate(texts)
    ]
    tokenizer.process_training_data(TrainingData(messages))
    return messages


def _trained(cls: Any, config: dict[str, Any], tmp_path: Path, name: str) -> Any:
    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    component = cls.create(
        {**cls.get_default_config(), **config},
        storage,
        Resource(name),
        ExecutionContext(GraphSchema({}), name),
    )
    texts, intents = zip(*TRAINING, strict=True)
    component.train(TrainingData(_tokenized(list(texts), list(intents))))
    return component


def _features(component: Any, text: str) -> dict[str, Any]:
    message = _tokenized([text])[0]
    component.process([message])
    return {
        kind: message.get_sparse_features(TEXT)[index]
        for index, kind in enumerate((FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE))
    }


@pytest.mark.parametrize("config", CONFIGS, ids=["words", "char_wb", "bigrams_oov", "shared"])
def test_sentence_features_equal_stock(config: dict[str, Any], tmp_path: Path) -> None:
    stock = _trained(CountVectorsFeaturizer, config, tmp_path, "stock")
    ours = _trained(
        SentenceCountVectorsFeaturizer, {**config, "sequence_features": False}, tmp_path, "ours"
    )
    for text in UNSEEN + [text for text, _ in TRAINING]:
        expected = _features(stock, text)
        got = _features(ours, text)
        assert got[FEATURE_TYPE_SEQUENCE] is None, text
        want, have = expected[FEATURE_TYPE_SENTENCE].features, got[FEATURE_TYPE_SENTENCE].features
        assert have.shape == want.shape
        assert have.dtype == want.dtype
        assert np.array_equal(have.toarray(), want.toarray()), text
        assert list(have.col) == sorted(have.col)


def test_sequence_features_by_default_are_stock(tmp_path: Path) -> None:
    config = {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3}
    stock = _trained(CountVectorsFeaturizer, config, tmp_path, "stock")
    ours = _trained(SentenceCountVectorsFeaturizer, config, tmp_path, "ours")
    for text in UNSEEN:
        expected, got = _features(stock, text), _features(ours, text)
        for kind in (FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE):
            assert np.array_equal(got[kind].features.toarray(), expected[kind].features.toarray())


def test_binary_vectorizer_counts_presence(tmp_path: Path) -> None:
    ours = _trained(SentenceCountVectorsFeaturizer, {"sequence_features": False}, tmp_path, "ours")
    vectorizer = ours.vectorizers[TEXT]
    vectorizer.binary = True
    row = _features(ours, "refund refund refund")[FEATURE_TYPE_SENTENCE].features
    assert np.array_equal(row.toarray(), vectorizer.transform(["refund refund refund"]).toarray())
    assert row.toarray().max() == 1


def test_untrained_featurizer_adds_nothing(tmp_path: Path) -> None:
    ours = SentenceCountVectorsFeaturizer.create(
        {**SentenceCountVectorsFeaturizer.get_default_config(), "sequence_features": False},
        LocalModelStorage(tmp_path),
        Resource("ours"),
        ExecutionContext(GraphSchema({}), "ours"),
    )
    message = _tokenized(["hello"])[0]
    ours.process([message])
    assert message.get_sparse_features(TEXT) == (None, None)
