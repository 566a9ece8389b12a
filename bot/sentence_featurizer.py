"""Dense features from a pretrained static embedding model shipped inside a Python package.

Ten examples per intent are too few for sparse n-gram features to generalise: "my card has
not come yet" and "still waiting on the new card" share almost no n-grams. A pretrained
embedding that places such sentences near each other fills that gap. It must load from
files installed with a package (nothing may download at run time) from the model's own
maker; the default is WordLlama's 256-dimensional ``l2_supercat`` model, which Lee Miller's
``wordllama`` wheel on PyPI ships as ``weights/l2_supercat_256.safetensors`` with its
tokenizer ``tokenizers/l2_supercat_tokenizer_config.json``.

Only the two data files are read (with ``safetensors`` and HF ``tokenizers``); the
``wordllama`` package is never imported, so its own dependencies play no part at run time.
A static model is a lookup table: a text's vector is the mean of its sub-word vectors, which
costs microseconds per message.

Features per message attribute: one sentence vector (the mean over the whole text as typed,
L2-normalised when ``normalize`` is on). With ``sequence_features`` on it also adds, like
``SpacyFeaturizer``, one sequence vector per Rasa token (the mean of that token's sub-word
vectors), for sequence models such as DIET and for ``bot.intent_classifier``'s word
alignment. That is off by default: it costs a second tokenizer pass over the tokens, cut to a
dictionary look-up for the (most recent ``TOKEN_CACHE_SIZE``) words seen before.

With ``intent_features`` on, training also gives every example a sentence vector of its
intent's name (underscores read as spaces: ``card_arrival`` is embedded as "card arrival"),
as a sentence feature of the ``intent`` attribute. The name is a description the designer
wrote; ``bot.intent_classifier`` compares messages with it. Nothing changes at parse time.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
Vectors = npt.NDArray[np.float32]
# Token texts whose vectors are remembered (256 floats each: ~20 MB for WordLlama's model).
TOKEN_CACHE_SIZE = 20_000


class EmbeddingModelMissing(RuntimeError):
    """The configured embedding files are not installed (they are never downloaded)."""


class StaticEmbeddings:
    """A sub-word tokenizer plus its embedding table, read from local files only."""

    def __init__(
        self, tokenizer: Any, table: Vectors, normalize: bool, cache_size: int = TOKEN_CACHE_SIZE
    ) -> None:
        """Wrap a loaded ``tokenizers.Tokenizer`` and a (vocabulary x dimensions) table.

        Token vectors are remembered for the ``cache_size`` most recently new token texts
        (0: none): words repeat from message to message, and encoding one costs far more
        than looking it up.
        """
        self._tokenizer = tokenizer
        self._table = table
        self._normalize = normalize
        self._cache_size = cache_size
        self._token_cache: dict[str, Vectors] = {}

    @property
    def dimensions(self) -> int:
        """Length of every vector this model returns."""
        return int(self._table.shape[1])

    @classmethod
    def from_files(
        cls, weights: Path, tokenizer: Path, tensor: str, normalize: bool
    ) -> StaticEmbeddings:
        """Load the table and tokenizer; imports stay local so Rasa starts without them.

        Raises:
            EmbeddingModelMissing: A file is missing or the tensor is not in the weights file.
        """
        for path in (weights, tokenizer):
            if not path.is_file():
                raise EmbeddingModelMissing(f"embedding file not found: {path}")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer as SubwordTokenizer

        tensors = load_file(str(weights))
        if tensor not in tensors:
            raise EmbeddingModelMissing(f"tensor {tensor!r} not in {weights.name}")
        table = np.ascontiguousarray(tensors[tensor], dtype=np.float32)
        return cls(SubwordTokenizer.from_file(str(tokenizer)), table, normalize)

    def _ids(self, texts: list[str]) -> list[list[int]]:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        limit = self._table.shape[0]
        return [[i for i in encoding.ids if 0 <= i < limit] for encoding in encodings]

    def _mean(self, ids: list[int]) -> Vectors:
        if not ids:
            return np.zeros(self.dimensions, dtype=np.float32)
        return np.asarray(self._table[ids].mean(axis=0), dtype=np.float32)

    def sentence(self, text: str) -> Vectors:
        """Vector of a whole text (mean of its sub-word vectors, normalised if configured)."""
        vector = self._mean(self._ids([text])[0])
        if self._normalize:
            norm = float(np.linalg.norm(vector))
            if norm > 0.0:
                vector = vector / norm
        return vector

    def tokens(self, texts: list[str]) -> Vectors:
        """One vector per token text (tokens x dimensions); an empty list gives no rows."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        cache = self._token_cache
        found = {text: cache[text] for text in texts if text in cache}
        new = [text for text in dict.fromkeys(texts) if text not in found]
        if new:
            for text, ids in zip(new, self._ids(new), strict=True):
                found[text] = self._mean(ids)
                if self._cache_size > 0:
                    if len(cache) >= self._cache_size:
                        del cache[next(iter(cache))]  # the oldest entry
                    cache[text] = found[text]
        return np.stack([found[text] for text in texts])


def intent_text(intent: str) -> str:
    """An intent name as words: ``card_arrival`` -> ``card arrival``."""
    return " ".join(intent.replace("_", " ").split())


def package_file(package: str, relative: str) -> Path:
    """Path of a data file inside an installed package, without importing the package.

    ``find_spec`` locates a top-level package without running its ``__init__``, so a
    package whose code needs other versions of shared dependencies can still lend its data.

    Raises:
        EmbeddingModelMissing: The package is not installed.
    """
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise EmbeddingModelMissing(
            f"package {package!r} is not installed; it provides the embedding files"
        )
    return Path(locations[0]) / relative


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class StaticSentenceFeaturizer(DenseFeaturizer, GraphComponent):  # type: ignore[misc]
    """Pretrained static sentence vectors, token vectors on request (see the module docstring)."""

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer must run first: only tokenized attributes are featurized.

        The optional sequence features are one vector per Rasa token, too.
        """
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        """Libraries that read the model files."""
        return ["safetensors", "tokenizers"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """WordLlama's shipped model; ``weights_path``/``tokenizer_path`` override the package."""
        return {
            **DenseFeaturizer.get_default_config(),
            "package": "wordllama",
            "weights": "weights/l2_supercat_256.safetensors",
            "tokenizer": "tokenizers/l2_supercat_tokenizer_config.json",
            "weights_path": None,
            "tokenizer_path": None,
            "tensor": "embedding.weight",
            "normalize": True,
            # Per-token vectors, for sequence models (DIET) and the intent classifier's word
            # alignment (`token_alignment_weight`).
            "sequence_features": False,
            # At training, also embed each example's intent name (see the module docstring).
            "intent_features": False,
        }

    def __init__(self, config: dict[str, Any], name: str, embeddings: StaticEmbeddings) -> None:
        """Keep the loaded model; Rasa builds the component once per model load."""
        super().__init__(name, config)
        self._embeddings = embeddings
        self._sequence_features = bool(config.get("sequence_features", False))
        self._intent_features = bool(config.get("intent_features", False))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StaticSentenceFeaturizer:
        """Load the embedding files named by the config (raises if they are not installed)."""
        weights = (
            Path(config["weights_path"])
            if config.get("weights_path")
            else package_file(config["package"], config["weights"])
        )
        tokenizer = (
            Path(config["tokenizer_path"])
            if config.get("tokenizer_path")
            else package_file(config["package"], config["tokenizer"])
        )
        embeddings = StaticEmbeddings.from_files(
            weights, tokenizer, config["tensor"], bool(config["normalize"])
        )
        logger.debug("loaded %s (%d dimensions)", weights.name, embeddings.dimensions)
        return cls(config, execution_context.node_name, embeddings)

    def process(self, messages: list[Message]) -> list[Message]:
        """Add sentence (and, if configured, sequence) features to every featurizable attribute."""
        for message in messages:
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                self._featurize(message, attribute)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize the training examples in place (the same way as at parse time).

        With ``intent_features`` on, each example with an intent also gets its intent name's
        vector (one computation per intent).
        """
        self.process(training_data.training_examples)
        if self._intent_features:
            vectors: dict[str, Vectors] = {}
            for message in training_data.training_examples:
                intent = message.get(INTENT)
                if not isinstance(intent, str) or not intent:
                    continue
                if intent not in vectors:
                    vectors[intent] = self._embeddings.sentence(intent_text(intent)).reshape(1, -1)
                self.add_features_to_message(None, vectors[intent], INTENT, message)
        return training_data

    def _featurize(self, message: Message, attribute: str) -> None:
        tokens = message.get(TOKENS_NAMES[attribute])
        text = message.get(attribute)
        if not tokens or not isinstance(text, str):
            return
        sequence = (
            self._embeddings.tokens([token.text for token in tokens])
            if self._sequence_features
            else None
        )
        sentence = self._embeddings.sentence(text).reshape(1, -1)
        # The identifier is the configured `alias`, else the graph node's name: consumers
        # (DIET's `featurizers`, bot.intent_classifier) tell featurizers apart by it.
        self.add_features_to_message(sequence, sentence, attribute, message)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Reject a config that names no model files."""
        if not config.get("weights_path") and not (config.get("package") and config.get("weights")):
            raise ValueError("set `weights_path`, or `package` and `weights`")
        if not config.get("tokenizer_path") and not (
            config.get("package") and config.get("tokenizer")
        ):
            raise ValueError("set `tokenizer_path`, or `package` and `tokenizer`")
