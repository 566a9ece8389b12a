"""A linear intent classifier on sparse n-gram and dense sentence-embedding features.

Why not DIET: with ten to fifty examples per intent a transformer has little to learn that a
linear model on good features cannot, and DIET's TensorFlow inference costs ~7 ms a message
while this costs well under one. Why not Rasa's own ``LogisticRegressionClassifier``: it glues
every featurizer's raw counts and the embedding together unscaled (a long message's counts
drown the 256 small embedding values), fixes ``C`` and persists with skops.

What it does:

* **Features.** Every featurizer's *sentence* features for the text, one block per
  featurizer (``alias``). Sparse blocks (``CountVectorsFeaturizer`` words and character
  n-grams, ``RegexFeaturizer``) get sub-linear term frequency (``log1p``), an inverse
  document frequency learnt from the training examples and L2 normalisation, like TF-IDF;
  dense blocks (``bot.sentence_featurizer.StaticSentenceFeaturizer``) are L2-normalised.
  Each block is then multiplied by its weight (``dense_weight``, ``sparse_weight``, or a
  per-featurizer entry in ``featurizer_weights``), which sets how much the pretrained
  embedding counts against the words actually seen in training.
* **Model.** A multinomial logistic regression (scikit-learn, ``lbfgs``, seeded), trained
  once; prediction is one sparse-times-dense product and a softmax in numpy.
* **Nearest examples.** With ``nearest_example_weight`` > 0, each intent's score also gets
  that weight times the cosine similarity between the message's embedding (the dense
  blocks) and the most similar training example of the intent. With ten examples an
  intent's examples are spread out and a regression boundary drawn between them misses
  paraphrases that sit right next to one example; the nearest-example term (a 1-nearest-
  neighbour vote) catches those. Chosen by cross-validation on 10-shot BANKING77 within the
  training rows (weight 3: +0.9 points on average over four fold seeds, never worse).
* **Confidences.** Logistic regression on a few examples per intent is over- or
  under-confident depending on ``C``. A single temperature is fitted on out-of-fold
  predictions (``calibration_folds``-fold cross-validation within the training data), so a
  confidence of 0.6 means roughly "right six times in ten" and ``FallbackClassifier``
  thresholds keep their meaning when the data grows.
* **Persistence.** Weights, IDF vectors and the temperature as numpy arrays (loaded with
  ``allow_pickle=False``) plus a JSON description of the feature blocks: no pickle.

The output is Rasa's usual ``intent`` and ``intent_ranking`` (top ``ranking_length`` intents,
probabilities not renormalised). A message without text or features gets no intent
(``{"name": None, "confidence": 0.0}``), as DIET does.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
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
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

Floats = npt.NDArray[np.float64]
ARRAYS_FILE = "linear_intent_classifier.npz"
META_FILE = "linear_intent_classifier.json"
FORMAT_VERSION = 2
# Format 1 (no nearest-example term) still loads, so models trained before it keep working.
READABLE_FORMATS = (1, FORMAT_VERSION)
# Temperatures tried when calibrating (log-spaced); the best by out-of-fold log-loss wins.
TEMPERATURE_GRID: Floats = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
# Chosen by cross-validation within the 10-shot BANKING77 training rows (docs/benchmarks.md).
NEAREST_WEIGHT_DEFAULT = 3.0


@dataclass(frozen=True)
class Block:
    """One featurizer's sentence features as they enter the model."""

    origin: str
    sparse: bool
    dimensions: int
    offset: int
    weight: float


@dataclass
class LinearModel:
    """What a trained classifier needs at parse time (all of it persisted)."""

    classes: list[str]
    blocks: list[Block]
    idf: dict[str, Floats]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    temperature: float
    # Nearest-example term: unit-length embeddings of the training examples grouped by intent
    # (rows of intent i start at example_starts[i]) and the weight of their similarity.
    examples: npt.NDArray[np.float32]
    example_starts: npt.NDArray[np.int64]
    nearest_weight: float

    @property
    def dimensions(self) -> int:
        """Total number of features the model reads."""
        return sum(block.dimensions for block in self.blocks)


def _sentence_features(message: Message) -> dict[str, Features]:
    """The message's sentence features for its text, by featurizer (``origin``)."""
    found: dict[str, Features] = {}
    for feature in message.features:
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE:
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


def nearest_similarity(
    examples: npt.NDArray[np.float32], starts: npt.NDArray[np.int64], vectors: Floats
) -> Floats:
    """Per intent, the highest cosine similarity of each vector to that intent's examples.

    ``vectors`` is one vector or a (messages x dimensions) matrix; the result has the same
    leading shape with one column per intent. einsum rather than BLAS for one vector (see
    :meth:`LinearIntentClassifier.probabilities`).
    """
    unit = _unit_rows(np.asarray(vectors, dtype=np.float64)).astype(np.float32)
    one = unit.ndim == 1
    similarities = np.einsum("ij,j->i", examples, unit) if one else unit @ examples.T
    result: Floats = np.maximum.reduceat(similarities, starts, axis=-1).astype(np.float64)
    return result


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
        """Defaults chosen by cross-validation on 10-shot BANKING77 (docs/benchmarks.md)."""
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
            # embeddings) added to its score; 0 turns the term off.
            "nearest_example_weight": NEAREST_WEIGHT_DEFAULT,
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
        nearest_weight: float,
    ) -> float:
        """Temperature fitted on out-of-fold scores (1.0 when there are too few examples).

        The held-out rows' nearest examples come from the fold's training rows only, as a new
        message's come from the training data: otherwise every row would find itself.
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
            if nearest_weight > 0.0:
                grouped, starts = group_examples(embeddings[fit_rows], labels[fit_rows], classes)
                logits[held_rows] += nearest_weight * nearest_similarity(
                    grouped, starts, embeddings[held_rows]
                )
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
        nearest_weight = (
            float(self.component_config["nearest_example_weight"]) if len(columns) else 0.0
        )
        embeddings = np.asarray(features[:, columns].toarray(), dtype=np.float64)
        temperature = self._calibrate(features, labels, embeddings, nearest_weight)
        weights, bias = self._fit(features, labels)
        if nearest_weight > 0.0:
            grouped, starts = group_examples(embeddings, labels, len(classes))
        else:
            grouped = np.zeros((0, 0), dtype=np.float32)
            starts = np.zeros(0, dtype=np.int64)
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
                nearest_weight=nearest_weight,
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
        if self.model.nearest_weight > 0.0:
            embedding = np.zeros(len(self.model.examples[0]), dtype=np.float64)
            position = self._embedding_position[index]
            dense = position >= 0
            embedding[position[dense]] = data[dense]
            logits += self.model.nearest_weight * nearest_similarity(
                self.model.examples, self.model.example_starts, embedding
            )
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
        }
        for position, block in enumerate(model.blocks):
            if block.sparse:
                arrays[f"idf_{position}"] = model.idf[block.origin]
        meta = {
            "format": FORMAT_VERSION,
            "classes": model.classes,
            "temperature": model.temperature,
            "nearest_weight": model.nearest_weight,
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
            # Format 1 models predate the nearest-example term: they predict without it.
            examples=stored.get("examples", np.zeros((0, 0))).astype(np.float32),
            example_starts=stored.get("example_starts", np.zeros(0)).astype(np.int64),
            nearest_weight=float(meta.get("nearest_weight", 0.0)),
        )
        return cls(config, model_storage, resource, model)
