"""The handoff notice is in the customer's language when we have it, English otherwise."""

from __future__ import annotations

import string

import pytest

from hub.domain.texts import LOCALISED_STATUS_TEXT, STATUS_TEXT, status_text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(LOCALISED_STATUS_TEXT))
def test_every_translation_keeps_the_placeholders(language):
    for key, text in LOCALISED_STATUS_TEXT[language].items():
        assert _fields(text) == _fields(STATUS_TEXT[key]), (language, key)


def test_notice_in_the_customers_language():
    assert status_text("queued", "de").format(position=2).startswith("Ich verbinde Sie")
    assert "número 3" in status_text("queued", "es").format(position=3)


@pytest.mark.parametrize("language", [None, "en", "xx"])
def test_english_when_we_do_not_have_the_language(language):
    assert status_text("queued", language) == STATUS_TEXT["queued"]
    assert status_text("agent_joined", "de") == STATUS_TEXT["agent_joined"]
