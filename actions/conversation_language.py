"""The conversation's language and locale, read from the ``language`` and ``locale`` slots.

``language`` (``en``/``es``, null = English) is decided per message by ``bot.language_tagger``;
``locale`` ("es_MX") says how money and dates are formatted. A locale that does not belong to
the language is ignored and the language's default is used (es -> es_ES, en -> en_GB).
"""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker

LANGUAGE_SLOT = "language"
LOCALE_SLOT = "locale"
DEFAULT_LOCALES: dict[str, str] = {"en": "en_GB", "es": "es_ES"}


@dataclass(frozen=True)
class Language:
    """The conversation's language code and the Babel locale its answers are formatted in."""

    code: str
    locale: str


ENGLISH = Language("en", DEFAULT_LOCALES["en"])


def conversation_language(tracker: Tracker) -> Language:
    """The language of the conversation from its slots; anything unknown means English."""
    code = tracker.get_slot(LANGUAGE_SLOT)
    code = code.strip().lower() if isinstance(code, str) else "en"
    if code not in DEFAULT_LOCALES:
        code = "en"
    locale = tracker.get_slot(LOCALE_SLOT)
    if isinstance(locale, str):
        tag = locale.strip().replace("-", "_")
        if tag.split("_")[0].lower() == code and len(tag) >= 2:
            return Language(code, tag)
    return Language(code, DEFAULT_LOCALES[code])
