"""common.language.choose_language: priors, the short-message rule, sources and locales."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.language import (
    SHORT_MESSAGE_WORDS,
    LanguageChoice,
    choose_language,
    language_words,
    locale_for,
    page_language_code,
)

DEV_EXAMPLES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).with_name("language_dev.yml")).read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "example", DEV_EXAMPLES, ids=[f"{e['text']}|{e['previous_language']}" for e in DEV_EXAMPLES]
)
def test_dev_examples(example: dict[str, Any]) -> None:
    choice = choose_language(
        example["text"],
        page_language=example["page_language"],
        previous_language=example["previous_language"],
    )
    assert choice.code == example["expected"]


def test_choice_is_frozen() -> None:
    choice = choose_language("hola", page_language=None, previous_language=None)
    assert isinstance(choice, LanguageChoice)
    with pytest.raises(dataclasses.FrozenInstanceError):
        choice.code = "en"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["ok", "gracias", "ORD-104233", "carmen@example.es", "👍"])
@pytest.mark.parametrize("previous", ["en", "es"])
def test_short_or_wordless_messages_keep_the_previous_language(text: str, previous: str) -> None:
    other_page = "en-GB" if previous == "es" else "es-ES"
    choice = choose_language(text, page_language=other_page, previous_language=previous)
    assert (choice.code, choice.source) == (previous, "prior")


def test_the_short_rule_stops_at_its_word_count() -> None:
    spanish = "quiero hablar con una persona de verdad"
    words = spanish.split()
    short = " ".join(words[:SHORT_MESSAGE_WORDS])
    assert choose_language(short, page_language=None, previous_language="en").code == "en"
    choice = choose_language(spanish, page_language=None, previous_language="en")
    assert (choice.code, choice.source) == ("es", "detector")


def test_page_language_decides_a_first_message_without_evidence() -> None:
    choice = choose_language("ok", page_language="es-MX", previous_language=None)
    assert (choice.code, choice.source) == ("es", "prior")


def test_nothing_to_go_on_is_english_by_default() -> None:
    choice = choose_language("104233", page_language=None, previous_language=None)
    assert (choice.code, choice.source, choice.probability) == ("en", "default", 0.5)


def test_unknown_previous_and_page_languages_are_ignored() -> None:
    choice = choose_language("ok", page_language="de-DE", previous_language="fr")
    assert (choice.code, choice.source) == ("en", "default")


def test_a_clear_message_overrides_both_priors_with_a_probability() -> None:
    choice = choose_language(
        "¿cuándo vence mi próximo pago?", page_language="en-GB", previous_language="en"
    )
    assert (choice.code, choice.source) == ("es", "detector")
    assert 0.5 < choice.probability <= 1.0


@pytest.mark.parametrize(
    ("tag", "code"),
    [("es-MX", "es"), ("es_ES", "es"), ("ES", "es"), ("en-GB", "en"), ("de", None), ("", None),
     (None, None)],
)  # fmt: skip
def test_page_language_code(tag: str | None, code: str | None) -> None:
    assert page_language_code(tag) == code


@pytest.mark.parametrize(
    ("code", "page", "locale"),
    [
        ("es", "es-MX", "es_MX"),
        ("es", "es_ar", "es_AR"),
        ("es", "es-419", "es_419"),
        ("es", "es", "es_ES"),
        ("es", "en-US", "es_ES"),
        ("es", None, "es_ES"),
        ("en", "en-US", "en_US"),
        ("en", "es-MX", "en_GB"),
        ("en", None, "en_GB"),
        ("en", "en-Latn-US", "en_US"),
    ],
)
def test_locale_for(code: str, page: str | None, locale: str) -> None:
    assert locale_for(code, page) == locale


def test_language_words_drop_codes_emails_links_and_numbers() -> None:
    assert language_words("Mi pedido ORD-104233, carmen@example.es https://x.es 45,50 €") == [
        "mi",
        "pedido",
    ]
