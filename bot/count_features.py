"""Rasa's ``CountVectorsFeaturizer`` that can leave out per-token features and counts faster.

Stock ``CountVectorsFeaturizer.process`` runs scikit-learn's ``CountVectorizer.transform`` twice
per message and attribute (per-token *sequence* rows, then the *sentence* row), and for a short
message that call's bookkeeping is most of the cost (docs/design-notes.md). This
subclass changes two things and nothing else:

* ``sequence_features: false`` skips the per-token rows, which only sequence models (DIET, TED)
  read; ``bot.intent_classifier`` reads sentence features only. The default keeps them.
* A message's sentence features are counted directly with the fitted vectorizer's analyzer and
  vocabulary: the same counts, dtype, shape and sorted COO matrix as ``transform``
  (``tests/bot/test_count_features.py`` compares them).

Training, persistence and loading are Rasa's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from sklearn.feature_extraction.text import CountVectorizer

Analyzer = Callable[[str], list[str]]


def count_row(
    vectorizer: CountVectorizer, analyzer: Analyzer, text: str
) -> scipy.sparse.coo_matrix:
    """``vectorizer.transform([text])`` as a sorted 1-row COO matrix, without its overhead."""
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    counts: dict[int, int] = {}
    for feature in analyzer(text):
        index = vocabulary.get(feature)
        if index is not None:
            counts[index] = counts.get(index, 0) + 1
    columns = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
    if vectorizer.binary:
        values = np.ones(len(columns), dtype=vectorizer.dtype)
    else:
        values = np.fromiter(
            (counts[int(column)] for column in columns), dtype=vectorizer.dtype, count=len(columns)
        )
    rows = np.zeros(len(columns), dtype=np.int32)
    return scipy.sparse.coo_matrix((values, (rows, columns)), shape=(1, len(vocabulary)))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):  # type: ignore[misc]
    """``CountVectorsFeaturizer`` with optional sequence features (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Stock defaults plus ``sequence_features`` (per-token rows; on by default, as stock)."""
        return {**CountVectorsFeaturizer.get_default_config(), "sequence_features": True}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the featurizer (arguments as for ``CountVectorsFeaturizer``)."""
        super().__init__(*args, **kwargs)
        self._analyzers: dict[int, tuple[CountVectorizer, Analyzer]] = {}

    def _analyzer(self, vectorizer: CountVectorizer) -> Analyzer:
        # Keyed by identity and holding the vectorizer, so a retrained vectorizer (or a
        # recycled id) never reuses another one's analyzer.
        cached = self._analyzers.get(id(vectorizer))
        if cached is None or cached[0] is not vectorizer:
            cached = (vectorizer, vectorizer.build_analyzer())
            self._analyzers[id(vectorizer)] = cached
        return cached[1]

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[Any], list[Any]]:
        vectorizer = self.vectorizers.get(attribute) if self.vectorizers else None
        if self._config.get("sequence_features", True) or not hasattr(vectorizer, "vocabulary_"):
            # Stock behaviour, including its handling of a missing or unfitted vectorizer.
            return super()._create_features(attribute, all_tokens)  # type: ignore[no-any-return]
        analyzer = self._analyzer(vectorizer)
        sentence: list[Any] = []
        for tokens in all_tokens:
            if tokens and attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence.append(count_row(vectorizer, analyzer, " ".join(tokens)))
            else:
                sentence.append(None)
        return [None] * len(all_tokens), sentence
