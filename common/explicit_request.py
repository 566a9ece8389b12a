"""Explicit requests for a person: the shared phrase list and the one matcher that reads it.

The product promise is that a customer who asks for a person gets one. Two places look for
such requests in the same list (``bot/resources/explicit_request_phrases.yml``):

* the NLU component ``bot/explicit_request.py`` (inside Rasa, with spaCy's lemmas);
* :class:`ExplicitRequestGuard` here, used by the hub, which has no Rasa and no spaCy, so that a
  request is caught even when the bot's NLU misses it or the bot is down.

Both are a :class:`PhraseMatcher`: the text is normalised (lower case, accents ignored,
letters typed three or more times collapsed so "humaaan" reads as "human"), cut into words,
and the list's phrases are found anywhere in it; a match that lies inside one of the list's
``not_requests`` phrases ("travel agent", "am I talking to a human?") is dropped and the longest
remaining match is reported. Only the tokenizer differs: each word gets a matching key, from
:func:`match_key` here and from spaCy's lemma (then the same :func:`match_key`) in the bot, so
"talking" meets "talk" either way. The words themselves are always cut by :func:`word_spans`,
so punctuation, hyphens and apostrophes cannot make the two disagree.

Phrase syntax: ``{a|b|}`` lists alternatives (an empty one makes the group optional) and is
expanded when the list is loaded; ``"{talk|speak} to {a |}person"`` yields four phrases.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

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
# A word: letters and digits, apostrophes inside it dropped ("don't" is the word "dont").
_WORD = re.compile(r"[a-z0-9ñ]+(?:['\u2019`\u00b4]+[a-z0-9ñ]+)*")
_IRREGULAR_STEMS = {"spoke": "speak", "spoken": "speak", "told": "tell", "got": "get"}
# Forms the suffix stemmer cannot reach that the phrase list's words take, mapped to the form
# spaCy's lemmatizer gives, so the hub's guard and the bot agree on them.
_BASE_FORMS = {
    **dict.fromkeys(("am", "is", "are", "was", "were", "been", "being"), "be"),
    **dict.fromkeys(("has", "had", "having"), "have"),
    **dict.fromkeys(("gave", "given"), "give"),
    **dict.fromkeys(("saw", "seen"), "see"),
    **dict.fromkeys(("rang", "rung"), "ring"),
    "an": "a",
    "found": "find",
    "gotten": "get",
    "brought": "bring",
    "men": "man",
    "women": "woman",
    "ladies": "lady",
}


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


class Token(NamedTuple):
    """One word of a text as a :class:`PhraseMatcher` compares it.

    Attributes:
        key: The form compared with the phrases' words (:func:`match_key` of the word or of
            its lemma), so that inflected forms meet the listed base form.
        text: The word as typed (normalised). When several phrases match the same span, the
            one whose words were typed exactly as listed wins: "spoke to an agent" is closer to
            "speak to an agent" than to "speak to a agent".
    """

    key: str
    text: str


Tokenizer = Callable[[str], Sequence[Token]]
"""Turns a text already passed through :func:`normalise` into the :class:`Token` of each of its
:func:`word_spans`."""


class Word(NamedTuple):
    """A word of a text and where it stands: ``text[start:end]``, apostrophes dropped."""

    text: str
    start: int
    end: int


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


@functools.lru_cache(maxsize=8192)
def match_key(word: str) -> str:
    """The form a phrase matcher compares a word in: base form, :func:`stem`, no final "e".

    Irregular forms of the phrase list's words ("was", "an", "women") are mapped as spaCy's
    lemmatizer maps them, and a final "e" is dropped so that "escalate" meets "escalating" and
    "give" meets "giving": the hub's guard then agrees with the bot, whose keys are this of a
    lemma. (:func:`stem` itself stays as it is: trained models store its forms.)
    """
    key = stem(_BASE_FORMS.get(word, word))
    return key[:-1] if len(key) > 3 and key.endswith("e") else key


def word_spans(text: str) -> list[Word]:
    """The words of an already normalised ``text``, with their positions.

    A word is a run of letters and digits; apostrophes inside it are dropped ("don't" is
    "dont"), everything else separates words. Every tokenizer cuts text this way.
    """
    return [
        Word(_APOSTROPHES.sub("", found.group()), found.start(), found.end())
        for found in _WORD.finditer(text)
    ]


def surface_words(text: str) -> list[str]:
    """Normalised words of ``text`` as typed (apostrophes dropped: "don't" -> "dont")."""
    return [word.text for word in word_spans(normalise(text))]


def plain_tokens(text: str) -> list[Token]:
    """The hub's tokenizer (no spaCy): words of normalised ``text`` keyed by :func:`match_key`."""
    return [Token(match_key(word.text), word.text) for word in word_spans(text)]


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
    """A phrase as indexed by the matcher: its words' keys and their listed forms."""

    keys: tuple[str, ...]
    texts: tuple[str, ...]
    phrase: Phrase
    rank: int


@dataclass(frozen=True)
class _Candidate:
    """A phrase found over token positions ``[start, end)``."""

    start: int
    end: int
    entry: _Entry
    same_words: int


class _Index:
    """Phrases by their keys, and the lengths of the phrases that start with each key."""

    def __init__(self, phrases: Iterable[Phrase], tokenizer: Tokenizer) -> None:
        self._entries: dict[tuple[str, ...], list[_Entry]] = {}
        lengths: dict[str, set[int]] = {}
        for rank, phrase in enumerate(phrases):
            tokens = tokenizer(normalise(phrase.text))
            if tokens:
                keys = tuple(token.key for token in tokens)
                entry = _Entry(keys, tuple(token.text for token in tokens), phrase, rank)
                self._entries.setdefault(keys, []).append(entry)
                lengths.setdefault(keys[0], set()).add(len(keys))
        self._lengths = {key: tuple(sorted(found)) for key, found in lengths.items()}

    def find(self, tokens: Sequence[Token]) -> Iterator[_Candidate]:
        """Every occurrence of an indexed phrase in ``tokens``."""
        keys = tuple(token.key for token in tokens)
        for start, key in enumerate(keys):
            for length in self._lengths.get(key, ()):
                end = start + length
                if end > len(keys):
                    break
                for entry in self._entries.get(keys[start:end], ()):
                    typed = (token.text for token in tokens[start:end])
                    same = sum(a == b for a, b in zip(typed, entry.texts, strict=True))
                    yield _Candidate(start, end, entry, same)


class PhraseMatcher:
    """Finds the phrase list's requests in a text, with the words cut by a given tokenizer.

    Build it once (it tokenizes and indexes every phrase) and call :meth:`match` per
    message; it holds no per-message state and is safe to share.
    """

    def __init__(self, book: PhraseBook, tokenizer: Tokenizer) -> None:
        """Index the phrases and exclusions of ``book`` as ``tokenizer`` cuts them."""
        self._tokenize = tokenizer
        self._phrases = _Index(book.phrases, tokenizer)
        self._exclusions = _Index((Phrase(text, "") for text in book.exclusions), tokenizer)

    def match(self, text: str, tokenizer: Tokenizer | None = None) -> ExplicitRequestMatch:
        """Whether ``text`` asks for a person, and by which phrase of the list.

        Args:
            text: The message as typed.
            tokenizer: For this call only, instead of the matcher's own; it must key words the
                same way (the bot passes one that reuses the spaCy doc Rasa already made).
        """
        tokenize = tokenizer or self._tokenize
        for variant in elongation_variants(normalise(text)):
            tokens = tokenize(variant)
            excluded = [(c.start, c.end) for c in self._exclusions.find(tokens)]
            found = _longest(self._phrases.find(tokens), excluded)
            if found.matched:
                return found
        return NO_MATCH


def _longest(
    candidates: Iterable[_Candidate], exclusions: Sequence[tuple[int, int]]
) -> ExplicitRequestMatch:
    """Keep candidates not inside an exclusion span; report the longest, then the earliest.

    Among phrases over the same span, the one typed most exactly as listed wins, then the one
    listed first.
    """
    kept = [
        cand
        for cand in candidates
        if not any(start <= cand.start and cand.end <= end for start, end in exclusions)
    ]
    if not kept:
        return NO_MATCH
    best = min(kept, key=lambda c: (c.start - c.end, c.start, -c.same_words, c.entry.rank))
    return ExplicitRequestMatch(True, best.entry.phrase.text, best.entry.phrase.language)


class ExplicitRequestGuard(PhraseMatcher):
    """The hub's matcher: the phrase matcher over :func:`plain_tokens` (no spaCy needed)."""

    def __init__(self, book: PhraseBook) -> None:
        """Index the phrases and exclusions of ``book`` with the dependency-free tokenizer."""
        super().__init__(book, plain_tokens)

    @classmethod
    def from_file(cls, path: Path | None = None) -> ExplicitRequestGuard:
        """Load the shared phrase list and build a guard over it."""
        return cls(load_phrase_book(path))
