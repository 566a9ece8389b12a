"""Explicit requests for a person: the shared phrase list and the hub's plain-regex guard.

The product promise is that a customer who asks for a person gets one. Two matchers read the
same list (``bot/resources/explicit_request_phrases.yml``):

* the NLU component ``bot/explicit_request.py`` (spaCy lemmas, inside Rasa);
* :class:`ExplicitRequestGuard` here, used by the hub, which has no Rasa and no spaCy, so that a
  request is caught even when the bot's NLU misses it or the bot is down.

Both normalise the same way (lower case, accents ignored, letters typed three or more times
collapsed so "humaaan" reads as "human"), match the list's phrases anywhere in the message,
drop a match that lies inside one of the list's ``not_requests`` phrases ("travel agent",
"am I talking to a human?"), and report the longest remaining match. The guard replaces spaCy's
lemmas with a small suffix stemmer applied to phrases and text alike ("talking" and "talk" meet).

Phrase syntax: ``{a|b|}`` lists alternatives (an empty one makes the group optional) and is
expanded when the list is loaded; ``"{talk|speak} to {a |}person"`` yields four phrases.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

DEFAULT_PHRASES_PATH = (
    Path(__file__).resolve().parents[1] / "bot" / "resources" / "explicit_request_phrases.yml"
)
LANGUAGES = ("en", "es")
EXCLUSIONS_KEY = "not_requests"

_GROUP = re.compile(r"\{([^{}]*)\}")
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
# ' and its look-alikes: right single quote, grave and acute accents.
_APOSTROPHES = re.compile("['\u2019`\u00b4]")
_WORD = re.compile(r"[a-z0-9ñ]+")
_IRREGULAR_STEMS = {"spoke": "speak", "spoken": "speak", "told": "tell", "got": "get"}


class PhraseListError(ValueError):
    """The phrase list file is missing or malformed (raised at load time, never per message)."""


@dataclass(frozen=True)
class Phrase:
    """One expanded phrase and the language of the list it came from."""

    text: str
    language: str


@dataclass(frozen=True)
class PhraseBook:
    """The loaded phrase list: request phrases per language plus the exclusions."""

    phrases: tuple[Phrase, ...]
    exclusions: tuple[str, ...]


@dataclass(frozen=True)
class ExplicitRequestMatch:
    """What a matcher found; ``as_dict`` is the ``explicit_request`` parse-data record."""

    matched: bool
    phrase: str | None = None
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape in docs/architecture.md (``explicit_request`` in parse data)."""
        return {"matched": self.matched, "phrase": self.phrase, "language": self.language}


NO_MATCH = ExplicitRequestMatch(matched=False)


@dataclass(frozen=True)
class SpanMatch:
    """A candidate match over token (or word) positions ``[start, end)``.

    Attributes:
        start: First token of the match.
        end: One past the last token.
        phrase: The phrase of the list that matched.
        rank: The phrase's position in the list (earlier wins a tie).
        same_words: How many of the phrase's words the customer typed exactly as listed;
            "spoke to an agent" is closer to "speak to an agent" than to "speak to a agent",
            which match the same span once words are reduced to their base forms.
    """

    start: int
    end: int
    phrase: Phrase
    rank: int = 0
    same_words: int = 0


def expand_alternatives(pattern: str) -> list[str]:
    """Expand ``{a|b|}`` groups into every combination, whitespace tidied.

    Raises:
        PhraseListError: for unbalanced braces.
    """
    pieces = _GROUP.split(pattern)
    literals, groups = pieces[0::2], pieces[1::2]
    if any("{" in lit or "}" in lit for lit in literals):
        raise PhraseListError(f"unbalanced braces in phrase {pattern!r}")
    options = [group.split("|") for group in groups]
    expanded: list[str] = []
    for choice in itertools.product(*options):
        parts = [literals[0]]
        for option, literal in zip(choice, literals[1:], strict=True):
            parts.extend((option, literal))
        text = " ".join("".join(parts).split())
        if text and text not in expanded:
            expanded.append(text)
    return expanded


def strip_accents(text: str) -> str:
    """Drop combining accents ("atención" -> "atencion") so typing them is optional."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Lower case, accents dropped, unicode compatibility forms folded."""
    return strip_accents(unicodedata.normalize("NFKC", text)).casefold()


def elongation_variants(text: str) -> tuple[str, ...]:
    """The text plus its elongation-collapsed forms ("humaaan" -> "human", "humaan").

    A letter typed three or more times is collapsed to one and, separately, to two letters,
    since either may be the intended spelling ("sooo" -> "so", "agreee" -> "agree").
    """
    if not _ELONGATION.search(text):
        return (text,)
    single = _ELONGATION.sub(r"\1", text)
    double = _ELONGATION.sub(r"\1\1", text)
    return tuple(dict.fromkeys((text, single, double)))


def stem(word: str) -> str:
    """A deliberately tiny stemmer: enough for "talking"/"talked"/"talks" to meet "talk".

    It only has to map a phrase and the customer's text to the same form, so it is applied
    to both; it is not meant to produce dictionary words.
    """
    word = _IRREGULAR_STEMS.get(word, word)
    if len(word) > 4 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 2 and word[-1] == word[-2] and word[-1].isalpha():
        word = word[:-1]
    return word


def surface_words(text: str) -> list[str]:
    """Normalised words of ``text`` as typed (apostrophes dropped: "don't" -> "dont")."""
    return _WORD.findall(_APOSTROPHES.sub("", normalise(text)))


def words(text: str) -> list[str]:
    """Normalised, stemmed words of ``text``."""
    return [stem(word) for word in surface_words(text)]


def pick_match(
    candidates: Iterable[SpanMatch], exclusions: Sequence[tuple[int, int]]
) -> ExplicitRequestMatch:
    """Keep candidates not inside an exclusion span; report the longest, then the earliest."""
    kept = [
        cand
        for cand in candidates
        if not any(ex_start <= cand.start and cand.end <= ex_end for ex_start, ex_end in exclusions)
    ]
    if not kept:
        return NO_MATCH
    best = min(kept, key=lambda c: (-(c.end - c.start), c.start, -c.same_words, c.rank))
    return ExplicitRequestMatch(True, best.phrase.text, best.phrase.language)


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PhraseListError(f"{where} must be a list of strings")
    return value


def parse_phrase_book(document: Mapping[str, Any], *, source: str = "<memory>") -> PhraseBook:
    """Validate and expand a parsed phrase-list document.

    Raises:
        PhraseListError: for unknown keys, non-string entries or an empty list.
    """
    unknown = set(document) - {*LANGUAGES, EXCLUSIONS_KEY}
    if unknown:
        raise PhraseListError(f"{source}: unknown keys {sorted(unknown)}")
    phrases: list[Phrase] = []
    for language in LANGUAGES:
        for pattern in _string_list(document.get(language, []), f"{source}: {language}"):
            phrases.extend(Phrase(text, language) for text in expand_alternatives(pattern))
    if not phrases:
        raise PhraseListError(f"{source}: no phrases")
    exclusions = [
        text
        for pattern in _string_list(document.get(EXCLUSIONS_KEY, []), f"{source}: not_requests")
        for text in expand_alternatives(pattern)
    ]
    return PhraseBook(tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(exclusions)))


def load_phrase_book(path: Path | None = None) -> PhraseBook:
    """Read the phrase list (default: ``bot/resources/explicit_request_phrases.yml``).

    Raises:
        PhraseListError: when the file cannot be read or is malformed.
    """
    source = path or DEFAULT_PHRASES_PATH
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PhraseListError(f"cannot read explicit-request phrases from {source}: {exc}") from exc
    if not isinstance(document, Mapping):
        raise PhraseListError(f"{source}: expected a mapping of language -> phrases")
    return parse_phrase_book(document, source=str(source))


@dataclass(frozen=True)
class _Entry:
    """A phrase indexed by the guard: its stemmed and its as-listed words."""

    stems: tuple[str, ...]
    surface: tuple[str, ...]
    phrase: Phrase
    rank: int


class ExplicitRequestGuard:
    """The hub's matcher: plain word sequences over normalised, stemmed text (no spaCy).

    Build it once at start-up (it indexes the phrases by first word) and call :meth:`match`
    per message; it holds no per-message state and is safe to share between tasks.
    """

    def __init__(self, book: PhraseBook) -> None:
        """Index the phrases and exclusions of ``book`` by their first stemmed word."""
        self._phrases = self._index(book.phrases)
        self._exclusions = self._index(Phrase(text, "") for text in book.exclusions)

    @classmethod
    def from_file(cls, path: Path | None = None) -> ExplicitRequestGuard:
        """Load the shared phrase list and build a guard over it."""
        return cls(load_phrase_book(path))

    @staticmethod
    def _index(phrases: Iterable[Phrase]) -> dict[str, list[_Entry]]:
        index: dict[str, list[_Entry]] = {}
        for rank, phrase in enumerate(phrases):
            surface = tuple(surface_words(phrase.text))
            key = tuple(stem(word) for word in surface)
            if key:
                index.setdefault(key[0], []).append(_Entry(key, surface, phrase, rank))
        return index

    @staticmethod
    def _find(
        stems: Sequence[str], surface: Sequence[str], index: Mapping[str, list[_Entry]]
    ) -> Iterator[SpanMatch]:
        for start, token in enumerate(stems):
            for entry in index.get(token, ()):
                end = start + len(entry.stems)
                if tuple(stems[start:end]) == entry.stems:
                    same = sum(
                        a == b for a, b in zip(surface[start:end], entry.surface, strict=True)
                    )
                    yield SpanMatch(start, end, entry.phrase, entry.rank, same)

    def match(self, text: str) -> ExplicitRequestMatch:
        """Whether ``text`` asks for a person, and by which phrase of the list."""
        for variant in elongation_variants(normalise(text)):
            surface = surface_words(variant)
            stems = [stem(word) for word in surface]
            exclusions = [(m.start, m.end) for m in self._find(stems, surface, self._exclusions)]
            found = pick_match(self._find(stems, surface, self._phrases), exclusions)
            if found.matched:
                return found
        return NO_MATCH
