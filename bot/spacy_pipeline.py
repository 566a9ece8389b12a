"""Build the project's spaCy pipelines (``python -m bot.spacy_pipeline --language en|es``).

Rasa's ``SpacyNLP`` needs a spaCy pipeline on disk, and nothing may be downloaded at run time,
so each pipeline is assembled here from ``spacy.blank(language)`` and official Explosion data
only. English (``build/spacy/en_payments``):

* ``attribute_ruler`` -- gives the tokenizer's contraction pieces real lemmas (``'re`` -> ``be``,
  ``n't`` / ``nt`` -> ``not``), so that "you're not helping", "you are not helping" and
  "youre not helping" share one lemma sequence for the phrase matchers in ``bot/``;
* ``lemmatizer`` in lookup mode, its table copied from the ``spacy-lookups-data`` package into
  the saved pipeline (so only the build needs that package);
* ``entity_ruler`` -- rule-based entities labelled exactly like the Rasa entities
  (``order_number``, ``email``, ``money``, ``date``) for ``SpacyEntityExtractor``.

Spanish (``build/spacy/es_payments``, patterns in ``bot/spacy_es.py``) is built the same way:
``spacy.blank("es")``, an attribute ruler with lemma fixes, the ``es_lemma_lookup`` table, and
an entity ruler for the same labels (shared order-number and e-mail patterns, Spanish money
and dates). ``bot.spacy_languages`` gives each message the doc of its language's pipeline.

Rasa's ``SpacyNLP`` lower-cases text before running the pipeline, while ``SpacyEntityExtractor``
runs it again on the text as typed, so every pattern matches on ``LOWER`` (or a
case-insensitive regex) and works either way.

A bare 6-digit number is labelled ``order_number`` wherever it stands: the usual "context" is
the bot's own question ("what's your order number?") answered with just the number, which the
text alone cannot show. Longer entities win over shorter ones (``€104233`` is money), and the
order form verifies every number against the store before it is used.

The build is idempotent: a fingerprint of this module's source and the spaCy and lookups
versions is stored next to the pipeline, and an unchanged fingerprint skips the rebuild.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import logging
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot import spacy_es

logger = logging.getLogger(__name__)

PIPELINE_NAME = "payments"
PIPELINE_VERSION = "1.0.0"
LANGUAGES = ("en", "es")
BUILD_DIR = Path(__file__).resolve().parents[1] / "build" / "spacy"
DEFAULT_OUT = BUILD_DIR / "en_payments"
FINGERPRINT_FILE = "payassist_fingerprint.txt"

# Entity labels: the Rasa entity names (docs/architecture.md, "Rasa domain contract").
ORDER_NUMBER = "order_number"
EMAIL = "email"
MONEY = "money"
DATE = "date"
LABELS = (ORDER_NUMBER, EMAIL, MONEY, DATE)
# Components the phrase matchers do not need (they only look at tokens and lemmas).
_NOT_FOR_MATCHING = frozenset({"entity_ruler", "ner", "parser", "senter", "textcat"})

Pattern = dict[str, Any]

_SIX_DIGITS = {"REGEX": r"^\d{6}$"}
_AMOUNT = {"REGEX": r"^\d{1,3}(?:[,.]?\d{3})*(?:[.,]\d{1,2})?$"}
_SYMBOLS = ["€", "£", "$", "us$"]
_CURRENCY_WORDS = [
    "eur", "euro", "euros", "gbp", "pound", "pounds", "quid", "usd", "dollar", "dollars",
    "€", "£", "$",
]  # fmt: skip
_CURRENCY_CODES = ["eur", "gbp", "usd"]
_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.",
    "dec.",
]  # fmt: skip
_WEEKDAYS = [
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
]  # fmt: skip
_DAY = {"REGEX": r"^(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?$"}
_ORDINAL_DAY = {"REGEX": r"^(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)$"}
_YEAR = {"REGEX": r"^(?:19|20)\d{2}$"}


def _pattern(label: str, tokens: list[Pattern]) -> Pattern:
    return {"label": label, "pattern": tokens}


def _order_number_patterns() -> list[Pattern]:
    return [
        # ORD-104233, ORD104233, ord-104233 (one token each)
        _pattern(ORDER_NUMBER, [{"LOWER": {"REGEX": r"^ord-?\d{6}$"}}]),
        # "ord 104233", "ORD - 104233", "ord# 104233"
        _pattern(
            ORDER_NUMBER,
            [{"LOWER": "ord"}, {"ORTH": {"IN": ["-", "#"]}, "OP": "?"}, {"TEXT": _SIX_DIGITS}],
        ),
        _pattern(ORDER_NUMBER, [{"LOWER": "ord-"}, {"TEXT": _SIX_DIGITS}]),
        _pattern(ORDER_NUMBER, [{"ORTH": "#"}, {"TEXT": _SIX_DIGITS}]),
        _pattern(ORDER_NUMBER, [{"LOWER": {"REGEX": r"^#\d{6}$"}}]),
        _pattern(ORDER_NUMBER, [{"TEXT": _SIX_DIGITS}]),
    ]


def _email_patterns() -> list[Pattern]:
    return [_pattern(EMAIL, [{"LIKE_EMAIL": True}])]


def _money_patterns() -> list[Pattern]:
    number = {"TEXT": _AMOUNT}
    return [
        # €45.50, € 45.50, $9.99, £12
        _pattern(MONEY, [{"LOWER": {"IN": _SYMBOLS}}, number]),
        # 45.50 EUR, 45 euros, 12.50 pounds, 45,50 €
        _pattern(MONEY, [number, {"LOWER": {"IN": _CURRENCY_WORDS}}]),
        # EUR 45.50
        _pattern(MONEY, [{"LOWER": {"IN": _CURRENCY_CODES}}, number]),
        # one token: 45.50eur, €45.50 when the tokenizer keeps it together, 45€
        _pattern(
            MONEY,
            [
                {
                    "LOWER": {
                        "REGEX": (
                            r"^(?:[€£$]\d+(?:[.,]\d{1,2})?"
                            r"|\d+(?:[.,]\d{1,2})?(?:eur|gbp|usd|€|£|\$))$"
                        )
                    }
                }
            ],
        ),
    ]


def _date_patterns() -> list[Pattern]:
    month = {"LOWER": {"IN": _MONTHS}}
    comma = {"ORTH": ",", "OP": "?"}
    year = {"TEXT": _YEAR, "OP": "?"}
    return [
        # 5 December 2026, 5th Dec, 5th of December 2026
        _pattern(DATE, [{"LOWER": _DAY}, {"LOWER": "of", "OP": "?"}, month, comma, year]),
        # December 5, Dec 5th, 2026
        _pattern(DATE, [month, {"LOWER": _DAY}, comma, year]),
        # 05/12/2026, 5/12/26, 5.12.2026, 2026-12-05, 05-12-2026
        _pattern(
            DATE,
            [
                {
                    "TEXT": {
                        "REGEX": r"^(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})$"
                    }
                }
            ],
        ),
        # the tokenizer splits hyphenated digits: 2026-12-05, 05-12-2026
        _pattern(
            DATE,
            [
                {"TEXT": {"REGEX": r"^(?:\d{4}|\d{1,2})$"}},
                {"ORTH": "-"},
                {"TEXT": {"REGEX": r"^\d{1,2}$"}},
                {"ORTH": "-"},
                {"TEXT": {"REGEX": r"^(?:\d{4}|\d{1,2})$"}},
            ],
        ),
        # 05/12 (day and month)
        _pattern(DATE, [{"TEXT": {"REGEX": r"^(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])$"}}]),
        # today, tomorrow, yesterday, the day after tomorrow
        _pattern(DATE, [{"LOWER": {"IN": ["today", "tomorrow", "tmrw", "tmr", "yesterday"]}}]),
        _pattern(
            DATE, [{"LOWER": "the"}, {"LOWER": "day"}, {"LOWER": "after"}, {"LOWER": "tomorrow"}]
        ),
        # next friday, this monday, last tuesday, on friday
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["next", "this", "last", "coming"]}, "OP": "?"},
                {"LOWER": {"IN": _WEEKDAYS}},
            ],
        ),
        # next week / month, end of the month
        _pattern(
            DATE,
            [{"LOWER": {"IN": ["next", "this", "last"]}}, {"LOWER": {"IN": ["week", "month"]}}],
        ),
        _pattern(
            DATE,
            [
                {"LOWER": "end"},
                {"LOWER": "of"},
                {"LOWER": {"IN": ["the", "this", "next"]}, "OP": "?"},
                {"LOWER": "month"},
            ],
        ),
        # "on the 5th", "the 1st of next month"
        _pattern(DATE, [{"LOWER": "the"}, {"LOWER": _ORDINAL_DAY}]),
        _pattern(
            DATE,
            [
                {"LOWER": "the"},
                {"LOWER": _ORDINAL_DAY},
                {"LOWER": "of"},
                {"LOWER": {"IN": ["next", "this"]}},
                {"LOWER": "month"},
            ],
        ),
        # a month with a year: December 2026
        _pattern(DATE, [month, {"TEXT": _YEAR}]),
    ]


def default_out(language: str) -> Path:
    """Where ``make spacy`` puts a language's pipeline (``build/spacy/<language>_payments``)."""
    return BUILD_DIR / f"{language}_{PIPELINE_NAME}"


def entity_patterns(language: str = "en") -> list[Pattern]:
    """Entity-ruler patterns for every Rasa entity the ``language`` pipeline extracts."""
    shared = [*_order_number_patterns(), *_email_patterns()]
    if language == "es":
        return [*shared, *spacy_es.money_patterns(), *spacy_es.date_patterns()]
    return [*shared, *_money_patterns(), *_date_patterns()]


def contraction_lemma_patterns() -> list[Pattern]:
    """Attribute-ruler patterns that give contraction pieces the lemma of the full word.

    The English tokenizer splits "you're" into ``you`` + ``'re`` (and "youre" into ``you`` +
    ``re``) and sets ``NORM`` to the full word; the lookup table has no entry for the pieces.
    Matching on ``NORM`` as well keeps a plain "re" (as in "re: my order") untouched.
    """
    pieces = [
        (["'re", "\u2019re", "re"], "are", "be"),
        (["'m", "\u2019m", "m"], "am", "be"),
        (["n't", "n\u2019t", "nt"], "not", "not"),
        (["'ve", "\u2019ve", "ve"], "have", "have"),
        (["'ll", "\u2019ll", "ll"], "will", "will"),
        (["ca"], "can", "can"),
        (["wo"], "will", "will"),
        (["sha"], "shall", "shall"),
    ]
    patterns: list[Pattern] = [
        {"patterns": [[{"LOWER": {"IN": forms}, "NORM": norm}]], "attrs": {"LEMMA": lemma}}
        for forms, norm, lemma in pieces
    ]
    # "it's", "that's", "what's": 's is "is" after these words (elsewhere it may be possessive).
    patterns.append(
        {
            "patterns": [
                [
                    {
                        "LOWER": {
                            "IN": [
                                "it", "that", "what", "there", "here", "he", "she", "who",
                                "where", "how", "this", "everything", "nothing", "something",
                            ]
                        }
                    },
                    {"LOWER": {"IN": ["'s", "\u2019s"]}},
                ]
            ],
            "attrs": {"LEMMA": "be"},
            "index": 1,
        }
    )  # fmt: skip
    return patterns


def build_pipeline(language: str = "en") -> Language:
    """Assemble the pipeline in memory (no disk access beyond the installed lookups data)."""
    if language not in LANGUAGES:
        raise ValueError(f"no spaCy pipeline for language {language!r}; have {LANGUAGES}")
    nlp = spacy.blank(language)
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = (
        f"Blank {language} tokenizer + lemma fixes + lookup lemmatizer + entity ruler "
        f"for {', '.join(LABELS)} (built by bot/spacy_pipeline.py)."
    )
    ruler = nlp.add_pipe("attribute_ruler")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    entity_ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    # Loads the lookup table from spacy-lookups-data (to_disk then stores it with the
    # pipeline). It also clears both rulers, so their patterns are added afterwards.
    nlp.initialize()
    lemma_patterns = spacy_es.lemma_fixes() if language == "es" else contraction_lemma_patterns()
    for entry in lemma_patterns:
        ruler.add(**entry)  # type: ignore[attr-defined]
    entity_ruler.add_patterns(entity_patterns(language))  # type: ignore[attr-defined]
    return nlp


def analyse(nlp: Language, text: str) -> Doc:
    """Tokens, attribute-ruler lemmas and lemmas of ``text``, without entity recognition.

    Used by the phrase matchers in ``bot/`` for their patterns and for normalised variants of
    a message; skipping the entity ruler keeps that cheap.
    """
    doc = nlp.make_doc(text)
    for name, component in nlp.pipeline:
        if name not in _NOT_FOR_MATCHING:
            doc = component(doc)
    return doc


def analyse_many(nlp: Language, texts: Iterable[str]) -> list[Doc]:
    """:func:`analyse` for many texts in batches (thousands of phrases at model load)."""
    skip = [name for name in nlp.pipe_names if name in _NOT_FOR_MATCHING]
    return list(nlp.pipe(texts, disable=skip))


def build_phrase_matcher(
    nlp: Language, phrases: Mapping[str, Iterable[str | Doc]]
) -> PhraseMatcher:
    """A ``PhraseMatcher`` over lemmas (lower case when the pipeline has no lemmatizer).

    Args:
        nlp: The pipeline the matched docs come from (its vocab and lemmatizer are used).
        phrases: Match key -> phrases for that key, in plain lower case or already analysed.
    """
    attr = "LEMMA" if "lemmatizer" in nlp.pipe_names else "LOWER"
    matcher = PhraseMatcher(nlp.vocab, attr=attr)
    for key, texts in phrases.items():
        given = list(texts)
        analysed = iter(analyse_many(nlp, [t for t in given if isinstance(t, str)]))
        docs = [text if isinstance(text, Doc) else next(analysed) for text in given]
        if docs:
            matcher.add(key, docs)
    return matcher


def source_fingerprint() -> str:
    """Hash of everything the built pipeline depends on."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update(Path(spacy_es.__file__).read_bytes())
    for package in ("spacy", "spacy-lookups-data"):
        digest.update(f"{package}=={importlib.metadata.version(package)}\n".encode())
    return digest.hexdigest()


def is_up_to_date(out: Path, language: str = "en") -> bool:
    """Whether ``out`` holds a ``language`` pipeline built from the current sources."""
    marker, meta = out / FINGERPRINT_FILE, out / "meta.json"
    if not (marker.is_file() and meta.is_file()):
        return False
    built_for = json.loads(meta.read_text(encoding="utf-8")).get("lang")
    return built_for == language and marker.read_text(encoding="utf-8").strip() == (
        source_fingerprint()
    )


def ensure_pipeline(out: Path, *, force: bool = False, language: str = "en") -> bool:
    """Build the pipeline into ``out`` unless it is already up to date.

    The new pipeline is written to a sibling directory and swapped in afterwards, so a
    running Rasa never sees a half-written pipeline and an interrupted build leaves the old
    one in place.

    Returns:
        ``True`` when a build happened, ``False`` when the existing pipeline was kept.
    """
    if not force and is_up_to_date(out, language):
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.building")
    if staging.exists():
        shutil.rmtree(staging)
    nlp = build_pipeline(language)
    nlp.to_disk(staging)
    (staging / FINGERPRINT_FILE).write_text(source_fingerprint() + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point used by ``make setup`` / ``make spacy``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--language", choices=LANGUAGES, default="en")
    parser.add_argument("--out", type=Path, help="output directory (default: build/spacy/...)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    out: Path = (args.out or default_out(args.language)).resolve()
    built = ensure_pipeline(out, force=args.force, language=args.language)
    print(f"spaCy pipeline ({args.language}) {'built' if built else 'up to date'}: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
