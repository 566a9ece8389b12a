"""Which of a customer's orders a message names by item or merchant: spaCy + RapidFuzz.

Per customer, a spaCy ``PhraseMatcher`` over lemmas is built at run time from the words of
their orders' item descriptions and merchant names, widened with the everyday words of
``resources/item_words.yml`` ("telly" names the order with the "Lumen 43" 4K TV"). Text is
lower-cased and accent-folded on both sides, so "lampara" matches "Lámpara de arco". Words the
matcher does not know get one fuzzy chance with RapidFuzz (``fuzz.ratio`` >= 85 against the
customer's own words, five letters or more), which catches "headphnes" but not "order".

The project's own spaCy pipeline (``build/spacy/en_payments``, tokenizer + lemmatizer, built by
``make spacy``) is loaded once per process; matchers are cached per customer and order set.

Spanish messages (issue 19) are lemmatised by the Spanish pipeline ``build/spacy/es_payments``
when it has been built ("zapatillas" -> "zapatilla", "altavoces" -> "altavoz"); without it, a
plural whose singular is a known item word is read as that singular. Either way the tokens and
lemmas are put into a Doc of the English pipeline's vocabulary, so one matcher per customer
serves both languages.
"""

from __future__ import annotations

import functools
import logging
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml  # type: ignore[import-untyped]
from rapidfuzz import fuzz, process

from store.views import OrderView

if TYPE_CHECKING:  # spaCy loads on first use: importing ``actions`` stays light
    from spacy.language import Language
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

logger = logging.getLogger(__name__)

WORDS_FILE = Path(__file__).resolve().parent / "resources" / "item_words.yml"
SPANISH_PIPELINE = Path(__file__).resolve().parents[1] / "build" / "spacy" / "es_payments"
FUZZY_CUTOFF = 85.0
FUZZY_MIN_LETTERS = 5
_CACHE_SIZE = 512


def fold(text: str) -> str:
    """Lower case without accents: "Lámpara" -> "lampara"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Lexicon:
    """Everyday-word groups (lemma -> group index) and words that never name an order."""

    group_of: dict[str, int]
    groups: tuple[frozenset[str], ...]
    ignore: frozenset[str]


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The word groups of ``resources/item_words.yml`` (read once)."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    groups = tuple(frozenset(fold(str(w)) for w in group) for group in data["groups"])
    group_of = {word: index for index, group in enumerate(groups) for word in group}
    return Lexicon(group_of, groups, frozenset(fold(str(w)) for w in data["ignore"]))


_nlp_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def pipeline() -> Language:
    """The project's spaCy pipeline (tokenizer, attribute ruler, lemmatizer), loaded once."""
    import spacy

    from bot.spacy_pipeline import DEFAULT_OUT

    with _nlp_lock:
        return spacy.load(DEFAULT_OUT, exclude=["entity_ruler"])


def analyse(nlp: Language, text: str) -> Doc:
    """Tokens and lookup lemmas only.

    Item and merchant words need neither the attribute ruler (contractions) nor the entity
    ruler; skipping them halves the cost per message.
    """
    return nlp.get_pipe("lemmatizer")(nlp.make_doc(text))


def build_phrase_matcher(nlp: Language, phrases: dict[str, list[str]]) -> PhraseMatcher:
    """The project's lemma phrase matcher builder, imported on first use."""
    from bot.spacy_pipeline import build_phrase_matcher as build

    return build(nlp, phrases)


def _lemmas(nlp: Language, text: str) -> list[str]:
    return [fold(t.lemma_ or t.text) for t in analyse(nlp, fold(text))]


def _content_words(nlp: Language, text: str, ignore: frozenset[str]) -> list[str]:
    """Lemmas of the alphabetic words of ``text`` worth matching on (two letters or more)."""
    return [
        lemma
        for token, lemma in zip(analyse(nlp, fold(text)), _lemmas(nlp, text), strict=False)
        if token.is_alpha
        and len(token.text) >= 2
        and lemma not in ignore
        and token.text not in ignore
        and not token.is_stop
    ]


def _spanish_singular(word: str) -> str:
    """Singular of a Spanish plural ("cojines" -> "cojin"), enough for lexicon lookups."""
    if word.endswith("ces") and len(word) > 4:
        return word[:-3] + "z"  # altavoces -> altavoz
    if word.endswith("es") and len(word) > 4:
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


@dataclass(frozen=True)
class CustomerMatcher:
    """A customer's words -> their orders, as a spaCy PhraseMatcher plus a fuzzy vocabulary."""

    matcher: PhraseMatcher
    items_by_word: dict[str, frozenset[str]]
    merchants_by_word: dict[str, frozenset[str]]

    def match(self, doc: Doc) -> tuple[set[str], set[str]]:
        """Order refs named by item words, and by merchant names, in ``doc`` (:func:`read`)."""
        nlp = pipeline()
        items: set[str] = set()
        merchants: set[str] = set()
        matched_tokens: set[int] = set()
        for key, start, end in self.matcher(doc):
            label = nlp.vocab.strings[key]
            kind, _, word = label.partition(":")
            target = self.items_by_word if kind == "item" else self.merchants_by_word
            (items if kind == "item" else merchants).update(target.get(word, ()))
            matched_tokens.update(range(start, end))
        vocabulary = list(self.items_by_word)
        for index, token in enumerate(doc):
            if index in matched_tokens or not token.is_alpha or len(token.text) < FUZZY_MIN_LETTERS:
                continue
            best = process.extractOne(
                fold(token.text), vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if best is not None:
                items.update(self.items_by_word[best[0]])
        return items, merchants


@functools.lru_cache(maxsize=1)
def _lexicon_matcher() -> PhraseMatcher:
    words = lexicon()
    every = sorted({word for group in words.groups for word in group})
    return build_phrase_matcher(pipeline(), {f"thing:{w}": [w] for w in every})


def read(text: str, language: str = "en") -> Doc:
    """``text`` folded and analysed once (tokens, lemmas) for :func:`things_named` and matching.

    Args:
        text: The customer's message.
        language: The conversation's language; Spanish gets Spanish lemmas (module docstring).
    """
    if language != "es":
        return analyse(pipeline(), fold(text))
    return _read_spanish(fold(text))


@functools.lru_cache(maxsize=1)
def spanish_pipeline() -> Language | None:
    """The Spanish pipeline (tokenizer + lookup lemmatizer) if it was built, else None."""
    if not (SPANISH_PIPELINE / "config.cfg").is_file():
        return None
    import spacy

    with _nlp_lock:
        try:
            return spacy.load(SPANISH_PIPELINE, exclude=["entity_ruler", "ner"])
        except (OSError, ValueError):
            logger.warning("cannot load %s; Spanish plurals are read without it", SPANISH_PIPELINE)
            return None


def _read_spanish(folded: str) -> Doc:
    from spacy.tokens import Doc

    nlp = pipeline()
    spanish = spanish_pipeline()
    if spanish is not None:
        source = spanish(folded)
        lemmas = [fold(token.lemma_ or token.text) for token in source]
    else:
        source = analyse(nlp, folded)
        known = lexicon().group_of
        lemmas = []
        for token in source:
            lemma = fold(token.lemma_ or token.text)
            singular = _spanish_singular(lemma)
            lemmas.append(singular if lemma not in known and singular in known else lemma)
    return Doc(
        nlp.vocab,
        words=[token.text for token in source],
        spaces=[bool(token.whitespace_) for token in source],
        lemmas=lemmas,
    )


def things_named(doc: Doc) -> set[str]:
    """Everyday item words (``resources/item_words.yml``) in ``text``, whoever's orders.

    A thing named that none of the customer's orders has ("the sofa" without a sofa) means
    the customer is not talking about any of them: resolution says so instead of guessing.
    """
    nlp = pipeline()
    return {nlp.vocab.strings[key].partition(":")[2] for key, _, _ in _lexicon_matcher()(doc)}


OrderKey = tuple[tuple[str, str, tuple[str, ...]], ...]
"""Per order: ref, merchant name, item descriptions -- all a matcher is built from."""


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _build(key: OrderKey) -> CustomerMatcher:
    nlp = pipeline()
    words = lexicon()
    items_by_word: dict[str, set[str]] = {}
    merchants_by_word: dict[str, set[str]] = {}
    for order_ref, merchant_name, descriptions in key:
        for description in descriptions:
            for lemma in _content_words(nlp, description, words.ignore):
                # The English lemmatizer leaves Spanish plurals alone ("cojines"): the group
                # is also looked up by the singular a Spanish speaker would list ("cojin").
                group = words.group_of.get(lemma, words.group_of.get(_spanish_singular(lemma)))
                for word in words.groups[group] if group is not None else (lemma,):
                    items_by_word.setdefault(word, set()).add(order_ref)
        merchants_by_word.setdefault(fold(merchant_name), set()).add(order_ref)
        for lemma in _content_words(nlp, merchant_name, words.ignore):
            merchants_by_word.setdefault(lemma, set()).add(order_ref)
    phrases: dict[str, list[str]] = {f"item:{w}": [w] for w in items_by_word}
    phrases.update({f"merchant:{w}": [w] for w in merchants_by_word})
    return CustomerMatcher(
        matcher=build_phrase_matcher(nlp, phrases),
        items_by_word={w: frozenset(r) for w, r in items_by_word.items()},
        merchants_by_word={w: frozenset(r) for w, r in merchants_by_word.items()},
    )


def customer_matcher(orders: Sequence[OrderView]) -> CustomerMatcher:
    """The matcher for these orders, cached on their refs, merchants and item descriptions."""
    key = tuple(
        (o.order_ref, o.merchant_name, tuple(i.description for i in o.items)) for o in orders
    )
    return _build(key)
