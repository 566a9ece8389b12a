"""The Spanish side of the frustration signals (``bot/frustration.py``).

Spanish messages get their own lexicons (``bot/resources/frustration_es.yml``): frustration
phrases ("ya te lo dije", "esto no sirve", "no me estás entendiendo"), complaints ("llevo
semanas esperando", "es la tercera vez que…"), insults and profanity from Spain and Latin
America, and a sentiment lexicon whose valences are VADER's (each Spanish word names the
English VADER entry it translates; see the resource file for the sources).

Matching does not depend on the spaCy pipeline (whose lemmas are English): words are
lower-cased, accents dropped (ñ kept: "año" is not "ano"), letters typed three or more times
squeezed to one ("inútiiiil"), and phrases match as whole word sequences, a trailing ``*``
matching any word with that start. The scorer mirrors VADER: a valence is flipped by a negation
in the three words before it (VADER's ``N_SCALAR``), raised by a booster right before it
(``B_INCR``), and the sum is normalised with VADER's ``normalize``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from vaderSentiment.vaderSentiment import B_INCR, N_SCALAR, SentimentIntensityAnalyzer, normalize

from common import language as language_detection
from common.explicit_request import expand_alternatives

DEFAULT_SPANISH_PATH = Path(__file__).resolve().parent / "resources" / "frustration_es.yml"

PHRASE_KEYS = ("frustration_phrase", "complaint", "insult", "profanity")
_KEYS = frozenset({*PHRASE_KEYS, "sentiment", "negations", "boosters"})
_ENYE = "\x00"  # stands in for ñ while accents are stripped
_WORD = re.compile(r"[^\W_]+")
_SQUEEZE = re.compile(r"([^\W\d_])\1{2,}")
# Words before a sentiment word that a negation still reaches ("no es nada útil").
NEGATION_REACH = 3
# VADER's emphasis per "!" (up to four), added away from zero like VADER's _punctuation_emphasis.
EXCLAMATION_INCR = 0.292


LANGUAGE_KEY = "language"
LEXICON_LANGUAGES = ("en", "es")
# Below this the detector's answer is "unsure" and both languages' lexicons apply.
DETECTOR_MIN_PROBABILITY = 0.8


def message_language(data: Mapping[str, object], text: str) -> str | None:
    """Which lexicons a message gets: "en", "es", or None when unsure (then both apply).

    The language tagger's decision (``data["language"]["code"]``) when the pipeline has one;
    otherwise the shared detector, trusted only when it is confident and says en or es.
    """
    tag = data.get(LANGUAGE_KEY)
    if isinstance(tag, Mapping) and tag.get("code") in LEXICON_LANGUAGES:
        return str(tag["code"])
    return detected_language(text)


def detected_language(text: str) -> str | None:
    """The language ("en" / "es") ``common.language`` is sure of, else None."""
    choose = getattr(language_detection, "choose_language", None)
    if choose is not None:  # the shared en/es decision (es-nlu), without priors here
        choice = choose(text, page_language=None, previous_language=None)
        sure = choice.source == "detector" and choice.probability >= DETECTOR_MIN_PROBABILITY
        return str(choice.code) if sure and choice.code in LEXICON_LANGUAGES else None
    detected = language_detection.detect(text)
    if detected.confident and detected.language in LEXICON_LANGUAGES:
        return detected.language
    return None


class SpanishLexiconError(ValueError):
    """The Spanish lexicon file is missing or malformed, or names a word VADER lacks."""


def fold(text: str) -> str:
    """Lower case, accents dropped except the ñ, long letter runs squeezed."""
    text = unicodedata.normalize("NFC", text.casefold()).replace("ñ", _ENYE)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SQUEEZE.sub(r"\1", plain.replace(_ENYE, "ñ"))


def words(text: str) -> list[str]:
    """The folded words of ``text`` (``¿``, ``¡`` and other punctuation dropped)."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class PhraseMatch:
    """One phrase found in a message: its signal, word span, and the words as typed."""

    signal: str
    start: int
    end: int
    text: str


def _pattern(phrase: str) -> tuple[str, ...]:
    """A phrase as folded words; a word written with a trailing ``*`` keeps it (a prefix)."""
    return tuple(word + "*" if star else word for word, star in _star_words(phrase))


def _star_words(phrase: str) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for chunk in phrase.split():
        star = chunk.endswith("*")
        folded = words(chunk.rstrip("*"))
        for index, word in enumerate(folded):
            out.append((word, star and index == len(folded) - 1))
    return out


def _token_matches(pattern: str, word: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return pattern == word


@dataclass(frozen=True)
class SpanishLexicon:
    """The Spanish phrase lists, profanity and sentiment valences, ready to match."""

    phrases: Mapping[str, tuple[tuple[str, ...], ...]]
    valences: Mapping[str, float]
    negations: frozenset[str]
    boosters: frozenset[str]

    def __post_init__(self) -> None:
        """Index the patterns: exact word tuples by length, prefix patterns apart."""
        exact: dict[str, set[tuple[str, ...]]] = {}
        lengths: dict[str, tuple[int, ...]] = {}
        prefixed: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        for signal, patterns in self.phrases.items():
            exact[signal] = {p for p in patterns if not any(w.endswith("*") for w in p)}
            lengths[signal] = tuple(sorted({len(p) for p in exact[signal]}))
            # Prefix patterns by their first word ("*" when that word is itself a prefix).
            by_first = prefixed.setdefault(signal, {})
            for pattern in patterns:
                if pattern not in exact[signal]:
                    first = "*" if pattern[0].endswith("*") else pattern[0]
                    by_first.setdefault(first, []).append(pattern)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_lengths", lengths)
        object.__setattr__(self, "_prefixed", prefixed)

    def _hits(self, signal: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
        exact: set[tuple[str, ...]] = self._exact[signal]  # type: ignore[attr-defined]
        lengths: tuple[int, ...] = self._lengths[signal]  # type: ignore[attr-defined]
        prefixed: dict[str, list[tuple[str, ...]]] = self._prefixed[signal]  # type: ignore[attr-defined]
        hits: list[tuple[int, int]] = []
        for start, word in enumerate(tokens):
            for length in lengths:
                if start + length <= len(tokens) and tuple(tokens[start : start + length]) in exact:
                    hits.append((start, start + length))
            for pattern in (*prefixed.get(word, ()), *prefixed.get("*", ())):
                end = start + len(pattern)
                if end <= len(tokens) and all(
                    _token_matches(p, w) for p, w in zip(pattern, tokens[start:end], strict=True)
                ):
                    hits.append((start, end))
        return hits

    def find(self, text: str) -> list[PhraseMatch]:
        """Every phrase in ``text``; overlapping matches of one signal keep the longest."""
        tokens = words(text)
        spans = _word_spans(text)
        found: list[PhraseMatch] = []
        for signal in self.phrases:
            hits = self._hits(signal, tokens)
            for start, end in _longest_first(hits):
                quoted = (
                    text[spans[start][0] : spans[end - 1][1]]
                    if len(spans) == len(tokens)
                    else " ".join(tokens[start:end])
                )
                found.append(PhraseMatch(signal, start, end, quoted))
        return found

    def compound(self, text: str) -> float:
        """A VADER-style compound score in [-1, 1] from the Spanish valences."""
        tokens = words(text)
        total = 0.0
        for index, token in enumerate(tokens):
            valence = self.valences.get(token)
            if valence is None:
                continue
            if index and tokens[index - 1] in self.boosters:
                valence += B_INCR if valence > 0 else -B_INCR
            before = tokens[max(0, index - NEGATION_REACH) : index]
            if any(word in self.negations for word in before):
                valence *= N_SCALAR
            total += valence
        if total:
            emphasis = min(text.count("!") + text.count("¡"), 4) * EXCLAMATION_INCR
            total += emphasis if total > 0 else -emphasis
        return float(normalize(total))


def _word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` as typed (folding keeps one word per word)."""
    return [match.span() for match in _WORD.finditer(text)]


def _longest_first(hits: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(hits, key=lambda hit: (hit[0] - hit[1], hit[0])):
        if all(end <= s or start >= e for s, e in kept):
            kept.append((start, end))
    return sorted(kept)


def _strings(document: Mapping[str, object], key: str, path: Path) -> list[str]:
    entries = document.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise SpanishLexiconError(f"{path}: {key} must be a list of strings")
    return entries


@functools.lru_cache(maxsize=4)
def shared_spanish_lexicon(path: Path = DEFAULT_SPANISH_PATH) -> SpanishLexicon:
    """The lexicon of ``path`` on vaderSentiment's own valences, built once per process.

    Building it expands ~15k phrase forms (about 2 s); the training and the serving graph
    each create the component, so they share one copy.
    """
    return load_spanish_lexicon(SentimentIntensityAnalyzer().lexicon, path)


def load_spanish_lexicon(
    vader_lexicon: Mapping[str, float], path: Path = DEFAULT_SPANISH_PATH
) -> SpanishLexicon:
    """Read and expand the Spanish lexicon file.

    Args:
        vader_lexicon: VADER's word -> valence table (``SentimentIntensityAnalyzer().lexicon``).
        path: The YAML file.

    Raises:
        SpanishLexiconError: when the file is missing, malformed, or maps a word to an English
            entry VADER does not have.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpanishLexiconError(f"cannot read the Spanish lexicon {path}: {exc}") from exc
    if not isinstance(document, Mapping) or set(document) - _KEYS:
        raise SpanishLexiconError(f"{path}: expected only the keys {sorted(_KEYS)}")
    phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
    for key in PHRASE_KEYS:
        patterns = {
            _pattern(text)
            for entry in _strings(document, key, path)
            for text in expand_alternatives(entry)
        }
        phrases[key] = tuple(sorted(p for p in patterns if p))
    sentiment = document.get("sentiment") or {}
    if not isinstance(sentiment, Mapping):
        raise SpanishLexiconError(f"{path}: sentiment must map Spanish words to VADER entries")
    valences: dict[str, float] = {}
    for spanish, english in sentiment.items():
        if not isinstance(spanish, str) or english not in vader_lexicon:
            raise SpanishLexiconError(f"{path}: {spanish!r} -> {english!r} is not a VADER entry")
        for form in expand_alternatives(spanish):
            for word in words(form):
                valences[word] = float(vader_lexicon[english])
    return SpanishLexicon(
        phrases=phrases,
        valences=valences,
        negations=frozenset(w for e in _strings(document, "negations", path) for w in words(e)),
        boosters=frozenset(w for e in _strings(document, "boosters", path) for w in words(e)),
    )
