"""Calm messages read by their words: acknowledgements, thanks, apologies, small talk.

A short message made only of the phrases in ``bot/resources/calm_phrases.yml`` ("ok", "nice one,
ta", "sounds simple enough", "ah vale, gracias") says nothing about the bot failing, whatever the
NLU read it as (``nlu_fallback`` or a misread topic intent). :mod:`bot.conversation_signals` uses
:func:`is_calm_text` so such a message never counts as "not understood", as a repeated question
or as the trigger of a repeated answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml  # type: ignore[import-untyped]

LEXICON_PATH = Path(__file__).resolve().parent / "resources" / "calm_phrases.yml"
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    """Lowercased words without accents; apostrophes joined ("that's" -> "thats")."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("'", "").replace("\u2019", ""))
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return _WORD.findall(plain)


@dataclass(frozen=True)
class CalmLexicon:
    """The calm phrases (as word tuples), the fillers and the longest message read."""

    phrases: frozenset[tuple[str, ...]]
    fillers: frozenset[str]
    max_words: int
    longest: int = field(init=False)

    def __post_init__(self) -> None:
        # The most words in one phrase, read once: is_calm tries every length up to it.
        object.__setattr__(self, "longest", max(map(len, self.phrases), default=0))

    def is_calm(self, text: str) -> bool:
        """Whether every word is part of a calm phrase or a filler, with at least one phrase."""
        words = _words(text)
        if not words or len(words) > self.max_words:
            return False
        position, phrases = 0, 0
        while position < len(words):
            for size in range(min(self.longest, len(words) - position), 0, -1):
                if tuple(words[position : position + size]) in self.phrases:
                    position += size
                    phrases += 1
                    break
            else:
                if words[position] not in self.fillers:
                    return False
                position += 1
        return phrases > 0


def load_lexicon(path: Path = LEXICON_PATH) -> CalmLexicon:
    """Read the lexicon file (every language's phrases in one set)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    phrases = frozenset(
        tuple(_words(str(phrase)))
        for entries in (raw.get("phrases") or {}).values()
        for phrase in entries
        if _words(str(phrase))
    )
    fillers = frozenset(word for filler in raw.get("fillers") or [] for word in _words(filler))
    return CalmLexicon(phrases, fillers, int(raw.get("max_words", 8)))


@lru_cache(maxsize=1)
def default_lexicon() -> CalmLexicon:
    """The project's lexicon, read once per process."""
    return load_lexicon()


@lru_cache(maxsize=4096)
def is_calm_text(text: str) -> bool:
    """Whether ``text`` is only an acknowledgement, thanks, apology or small talk.

    Cached per text: the signals ask about every earlier turn on every prediction.
    """
    return default_lexicon().is_calm(text)
