"""A linear intent classifier on scaled sparse n-gram and dense sentence-embedding features.

Why: with ten to fifty examples per intent a linear model on good features beats DIET at a
fraction of its cost, and Rasa's own ``LogisticRegressionClassifier`` feeds every featurizer's
raw values in unscaled, so a long message's counts drown the embedding (how the design and its
weights were chosen: docs/design-notes.md).

What: each featurizer's sentence features form one block (sparse blocks as TF-IDF, dense ones
L2-normalised), weighted per block, into a seeded multinomial logistic regression. Optional
embedding-similarity terms add to each intent's score: the nearest and second-nearest training
examples (:func:`nearest_two_similarities`), the intent's name, and word alignment with its
best example (:class:`TokenAlignment`). One softmax temperature, fitted on out-of-fold
predictions, calibrates the confidences for ``FallbackClassifier``. The model persists as numpy
arrays and JSON (no pickle). Output is Rasa's ``intent`` and ``intent_ranking``; a message
without text or features gets no intent (``{"name": None, "confidence": 0.0}``), as with DIET.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

Floats = npt.NDArray[np.float64]
ARRAYS_FILE = "linear_intent_classifier.npz"
META_FILE = "linear_intent_classifier.json"
FORMAT_VERSION = 3
# Formats 1 (no nearest-example term) and 2 (no second-nearest or intent-name terms) still
# load, so models trained before them keep working: they predict without the missing terms.
READABLE_FORMATS = (1, 2, FORMAT_VERSION)
# Temperatures tried when calibrating (log-spaced); the best by out-of-fold log-loss wins.
TEMPERATURE_GRID: Floats = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
# Chosen on 10-shot BANKING77 samples other than the reported one (docs/design-notes.md).
NEAREST_WEIGHT_DEFAULT = 5.0
SECOND_NEAREST_WEIGHT_DEFAULT = 1.5
INTENT_NAME_WEIGHT_DEFAULT = 2.0
TOKEN_ALIGNMENT_WEIGHT_DEFAULT = 3.0


@dataclass(frozen=True)
class Block:
    """One featurizer's sentence features as they enter the model."""

    origin: str
    sparse: bool
    dimensions: int
    offset: int
    weight: float


@dataclass(frozen=True)
class SimilarityWeights:
    """Weights of the similarity terms (0: the term is off)."""

    nearest: float = 0.0
    second: float = 0.0
    name: float = 0.0
    tokens: float = 0.0


@dataclass
class LinearModel:
    """What a trained classifier needs at parse time (all of it persisted)."""

    classes: list[str]
    blocks: list[Block]
    idf: dict[str, Floats]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    temperature: float
    # Similarity terms: unit-length embeddings of the training examples grouped by intent
    # (rows of intent i start at example_starts[i]; no rows when no term needs them) and the
    # terms' weights.
    examples: npt.NDArray[np.float32]
    example_starts: npt.NDArray[np.int64]
    similarity: SimilarityWeights
    # Unit-length embeddings of the intent names (one row per class, in `classes` order; no
    # rows when the intent-name term is off).
    names: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0), dtype=np.float32)
    )
    # Word alignment with the examples (in the grouped order); None when the term is off.
    tokens: TokenAlignment | None = None

    @property
    def dimensions(self) -> int:
        """Total number of features the model reads."""
        return sum(block.dimensions for block in self.blocks)


def _sentence_features(message: Message, attribute: str = TEXT) -> dict[str, Features]:
    """The message's sentence features for an attribute (its text), by featurizer (``origin``)."""
    found: dict[str, Features] = {}
    for feature in message.features:
        if feature.attribute == attribute and feature.type == FEATURE_TYPE_SENTENCE:
            origin = (
                "+".join(feature.origin)
                if isinstance(feature.origin, list)
                else str(feature.origin)
            )
            found[origin] = feature
    return found


def _sparse_row(feature: Features) -> tuple[npt.NDArray[np.int64], Floats]:
    """Column indices and values of a one-row sparse sentence feature.

    Rasa's sparse featurizers hand over COO matrices; their arrays are read directly, since
    building a scipy matrix per message (format checks, index dtype probing) costs more than
    the whole prediction. Repeated columns are summed, as scipy's ``sum_duplicates`` would.
    """
    matrix = feature.features
    if not isinstance(matrix, scipy.sparse.coo_matrix):
        matrix = scipy.sparse.coo_matrix(matrix)
    columns = np.asarray(matrix.col, dtype=np.int64)
    values = np.asarray(matrix.data, dtype=np.float64)
    unique, inverse = np.unique(columns, return_inverse=True)
    if len(unique) == len(columns):
        return unique, values[np.argsort(columns, kind="stable")]
    summed: Floats = np.bincount(inverse, weights=values, minlength=len(unique)).astype(np.float64)
    return unique, summed


def _l2(values: Floats) -> Floats:
    norm = float(np.linalg.norm(values))
    return values / norm if norm > 0.0 else values


def _unit_rows(matrix: Floats) -> Floats:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    result: Floats = matrix / np.where(norms > 0.0, norms, 1.0)
    return result


def dense_columns(blocks: list[Block]) -> npt.NDArray[np.int64]:
    """Columns of the dense (embedding) blocks in a model's feature layout."""
    ranges = [np.arange(b.offset, b.offset + b.dimensions) for b in blocks if not b.sparse]
    return np.concatenate(ranges).astype(np.int64) if ranges else np.zeros(0, dtype=np.int64)


def group_examples(
    vectors: Floats, labels: npt.NDArray[np.int64], classes: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Unit-length example vectors sorted by intent, and where each intent's rows start.

    Raises:
        ValueError: An intent has no example (its nearest example would be undefined).
    """
    counts = np.bincount(labels, minlength=classes)
    if counts.min(initial=1) == 0:
        raise ValueError("every intent needs at least one example")
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return _unit_rows(vectors[order]).astype(np.float32), starts


def example_slots(starts: npt.NDArray[np.int64], total: int) -> npt.NDArray[np.int64]:
    """Example rows of each intent as an (intents x most examples) table, -1 where none."""
    counts = np.diff(np.append(starts, total))
    width = max(int(counts.max(initial=1)), 1)
    offsets = np.arange(width)
    slots: npt.NDArray[np.int64] = np.where(
        offsets < counts[:, None], starts[:, None] + offsets, -1
    ).astype(np.int64)
    return slots


def nearest_two_similarities(
    examples: npt.NDArray[np.float32], slots: npt.NDArray[np.int64], vectors: Floats
) -> tuple[Floats, Floats]:
    """Per intent, the highest and second highest cosine similarity of vectors to its examples.

    ``slots`` is :func:`example_slots` of the grouping. For an intent with one example the
    second is the first (one example is all there is to go on). ``vectors`` is one vector or a
    (messages x dimensions) matrix; each result has the same leading shape with one column
    per intent. einsum rather than BLAS for one vector (see
    :meth:`LinearIntentClassifier.probabilities`).
    """
    unit = _unit_rows(np.asarray(vectors, dtype=np.float64)).astype(np.float32)
    one = unit.ndim == 1
    similarities = np.einsum("ij,j->i", examples, unit) if one else unit @ examples.T
    table = np.where(slots >= 0, similarities[..., slots], -np.inf)
    width = table.shape[-1]
    if width == 1:
        first = table[..., 0]
        return first.astype(np.float64), first.astype(np.float64)
    ordered = np.partition(table, width - 2, axis=-1)
    first, second = ordered[..., width - 1], ordered[..., width - 2]
    second = np.where(np.isfinite(second), second, first)
    return first.astype(np.float64), second.astype(np.float64)


def name_similarity(names: npt.NDArray[np.float32], vectors: Floats) -> Floats:
    """Cosine similarity of vectors to each intent name's (unit-length) embedding."""
    unit = _unit_rows(np.asarray(vectors, dtype=np.float64)).astype(np.float32)
    result = np.einsum("ij,j->i", names, unit) if unit.ndim == 1 else unit @ names.T
    return np.asarray(result, dtype=np.float64)


class TokenAlignment:
    """How well each training example's words cover a message's words, word by word.

    For a message and an example: the mean over the message's tokens of the best cosine
    similarity between the token's vector and any token vector of the example (the precision
    half of BERTScore, on static vectors). Every similarity between a training word and a
    training example is computed once at training (``table``, words x examples), so a message
    of known words costs a few row look-ups; only a word never seen in training is compared
    with the example tokens at parse time.
    """

    def __init__(
        self,
        words: list[str],
        vectors: npt.NDArray[np.float32],
        example_tokens: npt.NDArray[np.int64],
        example_token_starts: npt.NDArray[np.int64],
        table: npt.NDArray[np.float32],
    ) -> None:
        """Training words and their unit vectors, examples' words and the word x example table.

        ``example_tokens`` holds each example's words as indices into ``words``, example i's
        from ``example_token_starts[i]`` on.
        """
        self.words = words
        self.index = {word: position for position, word in enumerate(words)}
        self.vectors = vectors
        self.example_tokens = example_tokens
        self.example_token_starts = example_token_starts
        self.table = table

    @classmethod
    def build(cls, tokens: list[list[str]], vectors: list[Floats]) -> TokenAlignment:
        """From each example's token texts and token vectors (examples in scoring order).

        Raises:
            ValueError: An example has no tokens.
        """
        if any(not example for example in tokens):
            raise ValueError("every example needs at least one token")
        words: dict[str, int] = {}
        rows: list[Floats] = []
        example_tokens = []
        for texts, matrix in zip(tokens, vectors, strict=True):
            for text, vector in zip(texts, matrix, strict=True):
                if text not in words:
                    words[text] = len(words)
                    rows.append(np.asarray(vector, dtype=np.float64))
                example_tokens.append(words[text])
        unit = _unit_rows(np.stack(rows)).astype(np.float32)
        flat = np.asarray(example_tokens, dtype=np.int64)
        lengths = [len(texts) for texts in tokens]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        table = np.maximum.reduceat((unit @ unit.T)[:, flat], starts, axis=1)
        return cls(list(words), unit, flat, starts, table.astype(np.float32))

    def _unknown_word(self, vector: Floats) -> npt.NDArray[np.float32]:
        """A word's best similarity to each example, computed from the example tokens."""
        unit = _l2(np.asarray(vector, dtype=np.float64)).astype(np.float32)
        similarities = np.einsum("ij,j->i", self.vectors, unit)[self.example_tokens]
        row: npt.NDArray[np.float32] = np.maximum.reduceat(similarities, self.example_token_starts)
        return row

    def scores(self, texts: list[str], vectors: Floats) -> Floats:
        """Alignment of one message (token texts and vectors) with every example."""
        known = []
        total: Floats = np.zeros(self.table.shape[1])
        for text, vector in zip(texts, vectors, strict=True):
            position = self.index.get(text)
            if position is None:
                total += self._unknown_word(vector)
            else:
                known.append(position)
        if known:
            total += self.table[known].sum(axis=0, dtype=np.float64)
        result: Floats = total / max(len(texts), 1)
        return result

    def between_examples(self) -> Floats:
        """Alignment of every example (as a message) with every example (rows x columns)."""
        bounds = np.append(self.example_token_starts, len(self.example_tokens))
        counts = np.diff(bounds)
        summed = np.add.reduceat(self.table[self.example_tokens], self.example_token_starts, axis=0)
        result: Floats = summed.astype(np.float64) / counts[:, None]
        return result


class SimilarityTerms:
    """The embedding-similarity part of the scores: nearest examples, names, word alignment."""

    def __init__(
        self,
        examples: npt.NDArray[np.float32],
        starts: npt.NDArray[np.int64],
        weights: SimilarityWeights,
        names: npt.NDArray[np.float32],
    ) -> None:
        """Grouped example embeddings, intent-name embeddings (may be empty) and weights."""
        self.weights = weights
        self.examples = examples
        self.slots = example_slots(starts, len(examples))
        with_examples = len(examples) > 0
        self.nearest_weight = weights.nearest if with_examples else 0.0
        self.second_weight = weights.second if with_examples else 0.0
        self.token_weight = weights.tokens if with_examples else 0.0
        self.names = names
        self.name_weight = weights.name if len(names) else 0.0

    @property
    def active(self) -> bool:
        """Whether any term adds to the scores."""
        return any(
            weight > 0.0
            for weight in (
                self.nearest_weight,
                self.second_weight,
                self.name_weight,
                self.token_weight,
            )
        )

    def scores(self, vectors: Floats, alignment: Floats | None = None) -> Floats:
        """What the terms add to each intent's score for one embedding or a matrix of them.

        ``alignment`` is the message's (or messages') :class:`TokenAlignment` with every
        example, in the examples' grouped order; without it the word-alignment term is left out.
        """
        vectors = np.asarray(vectors, dtype=np.float64)
        total: Floats = np.zeros((*vectors.shape[:-1], max(len(self.slots), len(self.names))))
        if self.nearest_weight > 0.0 or self.second_weight > 0.0:
            first, second = nearest_two_similarities(self.examples, self.slots, vectors)
            total += self.nearest_weight * first + self.second_weight * second
        if self.name_weight > 0.0:
            total += self.name_weight * name_similarity(self.names, vectors)
        if self.token_weight > 0.0 and alignment is not None:
            table = np.where(self.slots >= 0, alignment[..., self.slots], -np.inf)
            total += self.token_weight * table.max(axis=-1)
        return total


def softmax(logits: Floats) -> Floats:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    result: Floats = exponentials / exponentials.sum(axis=-1, keepdims=True)
    return result


def fit_temperature(logits: Floats, gold: npt.NDArray[np.int64]) -> float:
    """The temperature that minimises the log-loss of ``softmax(logits / T)`` on ``gold``."""
    rows = np.arange(len(gold))
    losses = []
    for temperature in TEMPERATURE_GRID:
        probabilities = softmax(logits / temperature)
        losses.append(-float(np.mean(np.log(probabilities[rows, gold] + 1e-12))))
    return float(TEMPERATURE_GRID[int(np.argmin(losses))])


def name_vectors(
    examples: list[Message], classes: list[str], blocks: list[Block]
) -> npt.NDArray[np.float32] | None:
    """Unit-length embeddings of the intent names, laid out like the messages' embeddings.

    They are the dense featurizers' sentence features of the ``intent`` attribute (see
    ``bot.sentence_featurizer``'s ``intent_features``), each block L2-normalised and weighted
    as a message's. None when some intent has no such features: the term is left out.
    """
    dense = [block for block in blocks if not block.sparse]
    found: dict[str, Floats] = {}
    for message in examples:
        intent = str(message.get(INTENT))
        if intent in found:
            continue
        features = _sentence_features(message, INTENT)
        parts = []
        for block in dense:
            feature = features.get(block.origin)
            if feature is None or int(feature.features.shape[-1]) != block.dimensions:
                break
            values = np.asarray(feature.features, dtype=np.float64).reshape(-1)
            parts.append(_l2(values) * block.weight)
        else:
            if parts:
                found[intent] = np.concatenate(parts)
    if not dense or any(name not in found for name in classes):
        logger.info("LinearIntentClassifier: no embedding of every intent name; term left out.")
        return None
    return _unit_rows(np.stack([found[name] for name in classes])).astype(np.float32)


def token_features(message: Message, blocks: list[Block]) -> tuple[list[str], Floats] | None:
    """The message's token texts and token vectors from the dense blocks' sequence features.

    Each block's rows are L2-normalised and weighted as sentence features are. None when the
    message has no tokens, or a dense featurizer gave no (or misaligned) per-token vectors.
    """
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    dense = [block for block in blocks if not block.sparse]
    if not tokens or not dense:
        return None
    found = {}
    for feature in message.features:
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SEQUENCE:
            found[str(feature.origin)] = feature
    parts = []
    for block in dense:
        feature = found.get(block.origin)
        if feature is None or feature.features.shape != (len(tokens), block.dimensions):
            return None
        parts.append(_unit_rows(np.asarray(feature.features, dtype=np.float64)) * block.weight)
    return [str(token.text) for token in tokens], np.hstack(parts)


def token_alignment(examples: list[Message], blocks: list[Block]) -> TokenAlignment | None:
    """Word alignment with ``examples`` (in scoring order); None without per-token vectors."""
    tokens = []
    vectors = []
    for message in examples:
        found = token_features(message, blocks)
        if found is None:
            logger.info(
                "LinearIntentClassifier: no per-token vectors (the embedding featurizer's "
                "`sequence_features`); word-alignment term left out."
            )
            return None
        tokens.append(found[0])
        vectors.append(found[1])
    return TokenAlignment.build(tokens, vectors)


class FeatureEncoder:
    """Turns messages into the scaled feature rows of one :class:`LinearModel` layout."""

    def __init__(self, blocks: list[Block], idf: dict[str, Floats]) -> None:
        """Use a block layout and the IDF vectors learnt for its sparse blocks."""
        self.blocks = blocks
        self.idf = idf
        self.dimensions = sum(block.dimensions for block in blocks)

    def row(self, message: Message) -> tuple[npt.NDArray[np.int64], Floats]:
        """Column indices and values of one message's feature row (empty when featureless).

        A block the message lacks (a featurizer that skipped it) contributes nothing; a
        block whose size differs from training (a changed featurizer) is a broken model.

        Raises:
            ValueError: A feature block has another size than at training time.
        """
        features = _sentence_features(message)
        columns: list[npt.NDArray[np.int64]] = []
        values: list[Floats] = []
        for block in self.blocks:
            feature = features.get(block.origin)
            if feature is None:
                continue
            width = int(feature.features.shape[-1])
            if width != block.dimensions:
                raise ValueError(
                    f"features from {block.origin!r} have {width} columns, "
                    f"the model was trained on {block.dimensions}"
                )
            if block.sparse:
                index, data = _sparse_row(feature)
                data = _l2(np.log1p(np.maximum(data, 0.0)) * self.idf[block.origin][index])
            else:
                data = _l2(np.asarray(feature.features, dtype=np.float64).reshape(-1))
                index = np.arange(block.dimensions, dtype=np.int64)
            keep = data != 0.0
            columns.append(index[keep] + block.offset)
            values.append(data[keep] * block.weight)
        if not columns:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(columns), np.concatenate(values)

    def matrix(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        """Feature rows of many messages as one sparse matrix (for training)."""
        indptr = [0]
        columns: list[npt.NDArray[np.int64]] = []
        values: list[Floats] = []
        for message in messages:
            index, data = self.row(message)
            columns.append(index)
            values.append(data)
            indptr.append(indptr[-1] + len(index))
        return scipy.sparse.csr_matrix(
            (
                np.concatenate(values) if values else np.zeros(0),
                np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64),
                np.asarray(indptr),
            ),
            shape=(len(messages), self.dimensions),
        )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):  # type: ignore[misc]
    """Scaled sparse + dense sentence features, logistic regression, calibrated softmax."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Sentence features must exist before classification."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """scikit-learn trains the model; parsing needs only numpy and scipy."""
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults chosen by cross-validation on 10-shot BANKING77 (docs/design-notes.md)."""
        return {
            # Block weights after L2 normalisation: how much the embedding counts against
            # the n-grams. A featurizer named in `featurizer_weights` (its `alias`) gets that
            # weight instead; 0 leaves it out.
            "dense_weight": 1.0,
            "sparse_weight": 0.5,
            "featurizer_weights": {},
            # Inverse regularisation strength of the logistic regression.
            "C": 100.0,
            # "balanced" weighs intents with fewer examples up; null treats examples equally.
            "class_weight": "balanced",
            "max_iter": 1000,
            "random_seed": 42,
            # Folds for fitting the confidence temperature (0 or 1: no calibration).
            "calibration_folds": 5,
            # Weight of each intent's nearest training example (cosine similarity of the
            # embeddings) added to its score, and of its second nearest; 0 turns a term off.
            "nearest_example_weight": NEAREST_WEIGHT_DEFAULT,
            "second_nearest_weight": SECOND_NEAREST_WEIGHT_DEFAULT,
            # Weight of the similarity to the intent's name, embedded by the dense featurizer
            # (its `intent_features: true`); 0 turns the term off.
            "intent_name_weight": INTENT_NAME_WEIGHT_DEFAULT,
            # Weight of the word alignment with the intent's best-aligned example (needs the
            # embedding featurizer's `sequence_features: true`); 0 turns the term off.
            "token_alignment_weight": TOKEN_ALIGNMENT_WEIGHT_DEFAULT,
            "ranking_length": LABEL_RANKING_LENGTH,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Reject settings that cannot train a model."""
        if float(config["C"]) <= 0.0:
            raise InvalidConfigException("LinearIntentClassifier: `C` must be positive")
        weights = [
            config["dense_weight"],
            config["sparse_weight"],
            config["nearest_example_weight"],
            config["second_nearest_weight"],
            config["intent_name_weight"],
            config["token_alignment_weight"],
        ]
        weights.extend((config.get("featurizer_weights") or {}).values())
        if any(float(weight) < 0.0 for weight in weights):
            raise InvalidConfigException("LinearIntentClassifier: weights must be >= 0")
        if config["class_weight"] not in (None, "balanced"):
            raise InvalidConfigException(
                "LinearIntentClassifier: `class_weight` must be 'balanced' or null"
            )
        if int(config["ranking_length"]) < 0:
            raise InvalidConfigException("LinearIntentClassifier: `ranking_length` must be >= 0")

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearModel | None = None,
    ) -> None:
        """Keep the config, where to persist, and the trained model (None until trained)."""
        self.component_config = {**self.get_default_config(), **config}
        self.validate_config(self.component_config)
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self._encoder: FeatureEncoder | None = None
        self._weights_by_feature: npt.NDArray[np.float32] | None = None
        self._embedding_position = np.zeros(0, dtype=np.int64)
        self._embedding_size = 0
        self._similarities: SimilarityTerms | None = None
        if model is not None:
            self._use(model)

    def _use(self, model: LinearModel) -> None:
        """Make ``model`` the one that predicts, with its parse-time layout."""
        self.model = model
        self._encoder = FeatureEncoder(model.blocks, model.idf)
        # Features x intents, so a message's few active features are contiguous rows.
        self._weights_by_feature = np.ascontiguousarray(model.weights.T)
        # Where each dense-block column lands in the message's embedding vector (-1: sparse).
        columns = dense_columns(model.blocks)
        self._embedding_position = np.full(model.dimensions, -1, dtype=np.int64)
        self._embedding_position[columns] = np.arange(len(columns))
        self._embedding_size = len(columns)
        self._similarities = SimilarityTerms(
            model.examples, model.example_starts, model.similarity, model.names
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    # ----------------------------------------------------------------------------------------
    # Training

    def _block_weight(self, origin: str, sparse: bool) -> float:
        overrides = self.component_config.get("featurizer_weights") or {}
        if origin in overrides:
            return float(overrides[origin])
        key = "sparse_weight" if sparse else "dense_weight"
        return float(self.component_config[key])

    def _layout(self, examples: list[Message]) -> list[Block]:
        """One block per featurizer seen in training, in a fixed (sorted) order."""
        shapes: dict[str, tuple[bool, int]] = {}
        for message in examples:
            for origin, feature in _sentence_features(message).items():
                shapes.setdefault(origin, (feature.is_sparse(), int(feature.features.shape[-1])))
        blocks = []
        offset = 0
        for origin in sorted(shapes):
            sparse, dimensions = shapes[origin]
            weight = self._block_weight(origin, sparse)
            if weight == 0.0 or dimensions == 0:
                continue
            blocks.append(Block(origin, sparse, dimensions, offset, weight))
            offset += dimensions
        return blocks

    @staticmethod
    def _idf(examples: list[Message], blocks: list[Block]) -> dict[str, Floats]:
        """Smoothed inverse document frequency per sparse block, as in scikit-learn's TF-IDF."""
        idf: dict[str, Floats] = {}
        for block in blocks:
            if not block.sparse:
                continue
            counts = np.zeros(block.dimensions, dtype=np.float64)
            for message in examples:
                feature = _sentence_features(message).get(block.origin)
                if feature is not None:
                    index, data = _sparse_row(feature)
                    counts[np.unique(index[data > 0])] += 1.0
            idf[block.origin] = np.log((1.0 + len(examples)) / (1.0 + counts)) + 1.0
        return idf

    def _fit(
        self, features: scipy.sparse.csr_matrix, labels: npt.NDArray[np.int64]
    ) -> tuple[Floats, Floats]:
        """Weights (classes x features) and biases of a multinomial logistic regression."""
        from sklearn.linear_model import LogisticRegression

        regression = LogisticRegression(
            C=float(self.component_config["C"]),
            class_weight=self.component_config["class_weight"],
            max_iter=int(self.component_config["max_iter"]),
            random_state=int(self.component_config["random_seed"]),
            solver="lbfgs",
            multi_class="multinomial",
        )
        regression.fit(features, labels)
        return np.asarray(regression.coef_), np.asarray(regression.intercept_)

    def _calibrate(
        self,
        features: scipy.sparse.csr_matrix,
        labels: npt.NDArray[np.int64],
        embeddings: Floats,
        terms: SimilarityTerms,
        alignment: Floats | None,
    ) -> float:
        """Temperature fitted on out-of-fold scores (1.0 when there are too few examples).

        The held-out rows' nearest examples (and word alignments, ``alignment``: every example
        with every example, in the original order) come from the fold's training rows only, as
        a new message's come from the training data: otherwise every row would find itself.
        """
        from sklearn.model_selection import StratifiedKFold

        smallest = int(np.bincount(labels).min())
        folds = min(int(self.component_config["calibration_folds"]), smallest)
        if folds < 2:
            logger.info("LinearIntentClassifier: too few examples per intent to calibrate.")
            return 1.0
        splitter = StratifiedKFold(
            folds, shuffle=True, random_state=int(self.component_config["random_seed"])
        )
        classes = int(labels.max()) + 1
        logits = np.zeros((len(labels), classes))
        for fit_rows, held_rows in splitter.split(np.zeros(len(labels)), labels):
            weights, bias = self._fit(features[fit_rows], labels[fit_rows])
            logits[held_rows] = features[held_rows] @ weights.T + bias
            if terms.active:
                grouped, starts = group_examples(embeddings[fit_rows], labels[fit_rows], classes)
                fold_terms = SimilarityTerms(grouped, starts, terms.weights, terms.names)
                fold_alignment = None
                if alignment is not None:
                    order = fit_rows[np.argsort(labels[fit_rows], kind="stable")]
                    fold_alignment = alignment[np.ix_(held_rows, order)]
                logits[held_rows] += fold_terms.scores(embeddings[held_rows], fold_alignment)
        return fit_temperature(logits, labels)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the model on every example that has an intent and text, then persist it."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        classes = sorted({str(m.get(INTENT)) for m in examples})
        if len(classes) < 2:
            logger.warning(
                "LinearIntentClassifier: %d intent(s) in the training data, need 2; not trained.",
                len(classes),
            )
            return self._resource
        blocks = self._layout(examples)
        if not blocks:
            raise InvalidConfigException(
                "LinearIntentClassifier: no sentence features for the text; "
                "add a featurizer before it in the pipeline"
            )
        idf = self._idf(examples, blocks)
        encoder = FeatureEncoder(blocks, idf)
        features = encoder.matrix(examples)
        index = {name: position for position, name in enumerate(classes)}
        labels = np.asarray([index[str(m.get(INTENT))] for m in examples], dtype=np.int64)
        columns = dense_columns(blocks)
        embeddings = np.asarray(features[:, columns].toarray(), dtype=np.float64)
        config = self.component_config
        similarity = SimilarityWeights(
            nearest=float(config["nearest_example_weight"]) if len(columns) else 0.0,
            second=float(config["second_nearest_weight"]) if len(columns) else 0.0,
            name=float(config["intent_name_weight"]) if len(columns) else 0.0,
            tokens=float(config["token_alignment_weight"]) if len(columns) else 0.0,
        )
        names = name_vectors(examples, classes, blocks) if similarity.name > 0.0 else None
        if names is None:
            names = np.zeros((0, 0), dtype=np.float32)
            similarity = replace(similarity, name=0.0)
        order = np.argsort(labels, kind="stable")
        tokens = (
            token_alignment([examples[i] for i in order], blocks)
            if similarity.tokens > 0.0
            else None
        )
        if tokens is None:
            similarity = replace(similarity, tokens=0.0)
        if similarity.nearest > 0.0 or similarity.second > 0.0 or similarity.tokens > 0.0:
            grouped, starts = group_examples(embeddings, labels, len(classes))
        else:
            grouped = np.zeros((0, 0), dtype=np.float32)
            starts = np.zeros(0, dtype=np.int64)
        terms = SimilarityTerms(grouped, starts, similarity, names)
        alignment = None
        if tokens is not None:
            # Back from the grouped order to the examples' own order, both ways.
            alignment = np.empty((len(order), len(order)))
            alignment[np.ix_(order, order)] = tokens.between_examples()
        temperature = self._calibrate(features, labels, embeddings, terms, alignment)
        weights, bias = self._fit(features, labels)
        self._use(
            LinearModel(
                classes=classes,
                blocks=blocks,
                idf=idf,
                weights=weights.astype(np.float32),
                bias=bias.astype(np.float32),
                temperature=temperature,
                examples=grouped,
                example_starts=starts,
                similarity=similarity,
                names=names,
                tokens=tokens,
            )
        )
        logger.debug(
            "LinearIntentClassifier: %d intents, %d examples, %d features, temperature %.3f",
            len(classes),
            len(examples),
            encoder.dimensions,
            temperature,
        )
        self.persist()
        return self._resource

    # ----------------------------------------------------------------------------------------
    # Parsing

    def probabilities(self, message: Message) -> Floats | None:
        """Calibrated probability of every intent (``model.classes`` order), or None.

        None means nothing to go on: no trained model, or no features for the message.
        """
        if self.model is None or self._encoder is None or self._weights_by_feature is None:
            return None
        index, data = self._encoder.row(message)
        if len(index) == 0:
            return None
        # einsum, not `@`: a matrix-vector product this small is slower through BLAS, whose
        # worker threads stall for milliseconds when the CPU cores are busy (measured).
        active = self._weights_by_feature[index]
        logits = np.einsum("i,ij->j", data.astype(np.float32), active).astype(np.float64)
        logits += self.model.bias
        terms = self._similarities
        if terms is not None and terms.active:
            embedding = np.zeros(self._embedding_size)
            position = self._embedding_position[index]
            dense = position >= 0
            embedding[position[dense]] = data[dense]
            alignment = None
            if terms.token_weight > 0.0 and self.model.tokens is not None:
                found = token_features(message, self.model.blocks)
                if found is not None:
                    alignment = self.model.tokens.scores(*found)
            logits += terms.scores(embedding, alignment)
        return softmax(logits / self.model.temperature)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``intent`` and ``intent_ranking`` on every message."""
        limit = int(self.component_config["ranking_length"])
        for message in messages:
            intent: dict[str, Any] = {"name": None, "confidence": 0.0}
            ranking: list[dict[str, Any]] = []
            probabilities = self.probabilities(message) if message.get(TEXT) else None
            if probabilities is not None and self.model is not None:
                order = np.argsort(-probabilities, kind="stable")
                if limit > 0:
                    order = order[:limit]
                ranking = [
                    {"name": self.model.classes[i], "confidence": float(probabilities[i])}
                    for i in order
                ]
                intent = dict(ranking[0])
            message.set(INTENT, intent, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    # ----------------------------------------------------------------------------------------
    # Persistence

    def persist(self) -> None:
        """Write arrays (npz, no pickle) and the block layout (JSON) to model storage."""
        if self.model is None:
            return
        model = self.model
        arrays: dict[str, npt.NDArray[Any]] = {
            "weights": model.weights,
            "bias": model.bias,
            "examples": model.examples,
            "example_starts": model.example_starts,
            "names": model.names,
        }
        for position, block in enumerate(model.blocks):
            if block.sparse:
                arrays[f"idf_{position}"] = model.idf[block.origin]
        if model.tokens is not None:
            arrays["token_vectors"] = model.tokens.vectors
            arrays["token_examples"] = model.tokens.example_tokens
            arrays["token_starts"] = model.tokens.example_token_starts
            arrays["token_table"] = model.tokens.table
        meta = {
            "format": FORMAT_VERSION,
            "classes": model.classes,
            "temperature": model.temperature,
            "nearest_weight": model.similarity.nearest,
            "second_weight": model.similarity.second,
            "name_weight": model.similarity.name,
            "token_weight": model.similarity.tokens,
            "token_words": model.tokens.words if model.tokens is not None else [],
            "blocks": [block.__dict__ for block in model.blocks],
        }
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(Path(directory) / ARRAYS_FILE, **arrays)
            (Path(directory) / META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Load a trained classifier; without one (never trained) it predicts no intent."""
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((Path(directory) / META_FILE).read_text(encoding="utf-8"))
                with np.load(Path(directory) / ARRAYS_FILE, allow_pickle=False) as arrays:
                    stored = {name: np.array(arrays[name]) for name in arrays.files}
        except (ValueError, FileNotFoundError) as error:
            logger.warning("LinearIntentClassifier: no trained model (%s); no intents.", error)
            return cls(config, model_storage, resource)
        if meta.get("format") not in READABLE_FORMATS:
            raise InvalidConfigException(
                f"LinearIntentClassifier: model format {meta.get('format')}, "
                f"expected one of {READABLE_FORMATS}; retrain the model"
            )
        blocks = [Block(**block) for block in meta["blocks"]]
        model = LinearModel(
            classes=[str(name) for name in meta["classes"]],
            blocks=blocks,
            idf={b.origin: stored[f"idf_{i}"] for i, b in enumerate(blocks) if b.sparse},
            weights=stored["weights"].astype(np.float32),
            bias=stored["bias"].astype(np.float32),
            temperature=float(meta["temperature"]),
            # Older formats predate some similarity terms: they predict without them.
            examples=stored.get("examples", np.zeros((0, 0))).astype(np.float32),
            example_starts=stored.get("example_starts", np.zeros(0)).astype(np.int64),
            similarity=SimilarityWeights(
                nearest=float(meta.get("nearest_weight", 0.0)),
                second=float(meta.get("second_weight", 0.0)),
                name=float(meta.get("name_weight", 0.0)),
                tokens=float(meta.get("token_weight", 0.0)),
            ),
            names=stored.get("names", np.zeros((0, 0))).astype(np.float32),
            tokens=(
                TokenAlignment(
                    [str(word) for word in meta["token_words"]],
                    stored["token_vectors"].astype(np.float32),
                    stored["token_examples"].astype(np.int64),
                    stored["token_starts"].astype(np.int64),
                    stored["token_table"].astype(np.float32),
                )
                if meta.get("token_words")
                else None
            ),
        )
        return cls(config, model_storage, resource, model)
