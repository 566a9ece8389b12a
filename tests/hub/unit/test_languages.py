"""Languages on the hub side (issue 19): tags, routing, texts, summary, settings, accounts."""

from __future__ import annotations

import string

import pytest

from common.sensitive import SECURITY_CODE
from hub.domain.errors import ValidationFailed
from hub.domain.language import (
    agent_languages,
    language_note,
    page_language_from,
    page_language_tag,
    served_language,
)
from hub.domain.policy import ConfigError, HubConfig, config_from_mapping
from hub.domain.routing import may_offer
from hub.domain.summary import build_summary
from hub.domain.texts import (
    LOCALISED_STATUS_TEXT,
    MASKED_NOTE_TEXT,
    STATUS_TEXT,
    masked_note,
    queue_name,
    status_text,
)
from hub.domain.views import MessageView
from hub.services.languages import with_language


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("es-MX", "es-MX"),
        ("es_ES", "es-ES"),
        (" en ", "en"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("", None),
        ("e", None),
        ("<script>", None),
        ("es-" + "x" * 40, None),
        (42, None),
        (None, None),
    ],
)
def test_page_language_tags_are_checked(raw, tag):
    assert page_language_tag(raw) == tag


def test_page_language_comes_from_the_usual_metadata_keys():
    assert page_language_from({"page_language": "es-AR", "language": "en"}) == "es-AR"
    assert page_language_from({"language": "bogus tag!", "locale": "es_MX"}) == "es-MX"
    assert page_language_from({"customer_token": "x"}) is None


def test_the_hub_serves_english_and_spanish_only():
    assert [served_language(c) for c in ("es", "es-MX", "EN", None, "de", "")] == [
        "es", "es", "en", "en", "en", "en",
    ]  # fmt: skip
    assert agent_languages(["ES", "es-MX", " en ", ""]) == ("es", "en")


@pytest.mark.parametrize(
    ("speaks", "language", "speaker_free", "fallback", "offered"),
    [
        (("es", "en"), "es", True, False, True),  # a speaker always gets it
        (("en",), "es", True, True, False),  # a speaker has room: not for others
        (("en",), "es", False, True, True),  # nobody who speaks it has room: anyone
        (("en",), "es", False, False, False),  # ...unless fallback is off: it waits
        (("es",), "en", True, True, False),  # symmetric for English conversations
    ],
)
def test_routing_offers_by_language(speaks, language, speaker_free, fallback, offered):
    assert may_offer(speaks, language, speaker_free=speaker_free, fallback=fallback) is offered


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_customer_facing_hub_text_has_a_spanish_one_with_the_same_placeholders():
    spanish = LOCALISED_STATUS_TEXT["es"]
    assert set(spanish) == set(STATUS_TEXT)
    for key, text in spanish.items():
        assert _fields(text) == _fields(STATUS_TEXT[key]), key
        assert text != STATUS_TEXT[key], key
    assert status_text("closed", "es").startswith("Esta conversación está cerrada")
    assert status_text("bot_failure", "es") != status_text("bot_failure", "en")
    assert queue_name("disputes", "es") == "reclamaciones"
    assert queue_name("disputes", "en") == "disputes"


def test_the_masking_note_follows_the_conversations_language():
    assert masked_note({"card"}, "es") == MASKED_NOTE_TEXT["es", "card"]
    assert masked_note({"iban"}, "es") == MASKED_NOTE_TEXT["es", "other"]
    assert masked_note({SECURITY_CODE}, None) == MASKED_NOTE_TEXT["en", "card"]
    assert masked_note({"card"}, "de") == MASKED_NOTE_TEXT["en", "card"]


def test_the_bot_gets_the_language_and_the_page_tag():
    base = {"channel": "hub", "customer_ref": "cus_carmen"}
    assert with_language(base, "es", "es-MX") == {
        **base,
        "language": "es",
        "page_language": "es-MX",
    }
    assert with_language(base, None, None) == {**base, "language": "en"}
    assert base == {"channel": "hub", "customer_ref": "cus_carmen"}  # not changed in place


def test_the_summary_says_the_language():
    line = MessageView(
        id=1, conversation_id="c", sender_type="customer", sender_name=None,
        text="¿cuándo vence mi próximo pago?", payload=None, client_msg_id=None,
        created_at=None,  # type: ignore[arg-type]
    )  # fmt: skip
    summary = build_summary(
        [line], reason="explicit_request", customer_ref="cus_carmen", language="es",
        page_language="es-MX",
    )  # fmt: skip
    assert "Customer: verified, cus_carmen. Language: Spanish (page es-MX)." in summary
    assert language_note(None) == "Language: English."
    assert "Language" not in build_summary([line], reason=None, customer_ref=None)


def test_language_fallback_is_on_by_default_and_must_be_a_boolean():
    assert HubConfig().language_fallback is True
    assert config_from_mapping({"language_fallback_to_anyone": False}).language_fallback is False
    with pytest.raises(ConfigError):
        config_from_mapping({"language_fallback_to_anyone": "sometimes"})


def test_agents_have_languages(service):
    password = "correct horse battery staple"
    ana = service.agents.create("ana", "Ana", "agent", ["payments"], password)
    assert ana.languages == ("en",)
    lucia = service.agents.create(
        "lucia", "Lucía", "agent", ["payments"], password, None, ["ES", "en"]
    )
    assert lucia.languages == ("es", "en")
    assert service.agents.set_languages("ana", ["es"]).languages == ("es",)
    assert service.agents.login("ana", password).languages == ("es",)
    for bad in ([], ["spanish"], ["e1"]):
        with pytest.raises(ValidationFailed):
            service.agents.set_languages("ana", bad)
