"""The conversation's language and locale from the slots (actions/conversation_language.py)."""

from __future__ import annotations

import pytest

from actions.conversation_language import Language, conversation_language
from actions.texts_es import SpanishReplies
from actions.wording import EnglishReplies, replies_for
from tests.actions.conftest import make_tracker


@pytest.mark.parametrize(
    ("language", "locale", "expected"),
    [
        (None, None, Language("en", "en_GB")),
        ("en", None, Language("en", "en_GB")),
        ("en", "en_US", Language("en", "en_US")),
        ("es", None, Language("es", "es_ES")),
        ("es", "es_MX", Language("es", "es_MX")),
        ("es", "es-AR", Language("es", "es_AR")),
        ("es", "es_419", Language("es", "es_419")),  # Latin America, as the tagger reports it
        ("es", "en_GB", Language("es", "es_ES")),  # a locale of another language is ignored
        ("en", "es_MX", Language("en", "en_GB")),
        ("fr", "fr_FR", Language("en", "en_GB")),  # not a bot language: English
        ("ES", " es_MX ", Language("es", "es_MX")),
    ],
)
def test_language_and_locale_from_the_slots(language, locale, expected):
    tracker = make_tracker(slots={"language": language, "locale": locale})
    assert conversation_language(tracker) == expected


def test_replies_follow_the_language():
    assert isinstance(replies_for(make_tracker(slots={"language": "es"})), SpanishReplies)
    assert isinstance(replies_for(make_tracker()), EnglishReplies)
