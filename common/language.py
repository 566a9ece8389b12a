"""Which language a customer's message is in, among the ones we have phrase books for.

py3langid (a maintained fork of langid.py; its model ships inside the ~0.7 MB wheel, no
download at run time) classifies the text, restricted to :data:`SUPPORTED`. Chosen over
lingua-language-detector, which is more accurate on very short texts but ships a model of
tens of MB per language set and loads far slower; our short messages ("agent pls") are
handled without a detector anyway (every phrase book applies to them, see
``common.explicit_request``). The detector costs about 0.03 ms per message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

SUPPORTED = ("en", "es", "de", "fr", "pt", "it", "nl")
# Below this normalised probability the detector's answer is not trusted.
MIN_PROBABILITY = 0.8


@dataclass(frozen=True)
class Detected:
    """The detector's best language and how sure it is (normalised over :data:`SUPPORTED`)."""

    language: str
    probability: float

    @property
    def confident(self) -> bool:
        """Whether the answer is sure enough to act on."""
        return self.probability >= MIN_PROBABILITY


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


def detect(text: str) -> Detected:
    """The most likely of the :data:`SUPPORTED` languages for ``text``."""
    language, probability = _identifier().classify(text)
    return Detected(str(language), float(probability))
