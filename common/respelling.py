"""Respelling of txt-speak and common misspellings before the explicit-request matcher reads.

"can u put me thru 2 sum1" and "kiero ablar con una persona x favor" are requests for a person
written the way people type on a phone. Rather than list every spelling in every phrase, the
matcher rewrites the words of a list (``respell`` in ``bot/resources/explicit_request_phrases.yml``)
to their standard spelling first, in the customer's text and in the phrases alike, so both
tokenizers (the hub's and the bot's spaCy lemmas) read the same standard words.

Only whole words are rewritten, and only words of the list: a respelling may be one word or
several ("xfa" -> "por favor"). The text is already normalised (lower case, no accents).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Letters and digits of a word, and the apostrophes the matcher keeps inside one
# (common.explicit_request.word_spans): a listed word must not stand next to any of them.
_WORD_CHARS = "a-z0-9\u00f1'\u2019`\u00b4"


class Respeller:
    """Rewrites the listed words of a normalised text to their standard spelling."""

    def __init__(self, spellings: Mapping[str, str]) -> None:
        """``spellings``: typed word (normalised, one word) -> standard words.

        A typed word may hold an apostrophe, as the matcher's words do (French "qu'une").
        """
        self._spellings = dict(spellings)
        # Each run of word characters is looked up in the list (a dict): the cost does not
        # grow with the list, which the one-slip typos of the phrase book make long.
        self._words = re.compile(f"[{_WORD_CHARS}]+") if self._spellings else None

    def __call__(self, text: str) -> str:
        """``text`` with every listed word replaced (the same text when none is listed)."""
        if self._words is None:
            return text
        spellings = self._spellings
        if not any(word in spellings for word in self._words.findall(text)):
            return text
        return self._words.sub(self._standard, text)

    def _standard(self, found: re.Match[str]) -> str:
        word = found.group()
        return self._spellings.get(word, word)
