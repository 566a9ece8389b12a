"""Spanish variations of every templated response, and the handoff in a Spanish conversation.

Rasa 3.6 prefers a response variation whose ``condition`` matches the filled slots over the
unconditioned ones (``TemplatedNaturalLanguageGenerator.responses_for_utter_action``), so
``language=es`` must pick only Spanish texts and ``en``/null only the English ones.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from actions.handoff import ActionHandback, ActionHandoff
from actions.summary import build_summary
from tests.actions.conftest import REPO_ROOT
from tests.actions.test_handoff_actions import REFUND_EVENTS, run, tracker_from, user

SPANISH = [{"type": "slot", "name": "language", "value": "es"}]
# Marks of an English sentence; a Spanish text has none of them.
ENGLISH = re.compile(r"\b(the|you|your|I'm|I|is|are|what|which|please|order|payment)\b")
SPANISH_MARKS = re.compile(r"[¿¡áéíóúñ]|\b(tu|te|de|que|el|la|con|y)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "domain.yml"))


def variations(domain: dict[str, Any], name: str) -> tuple[list[dict], list[dict]]:
    spanish = [v for v in domain["responses"][name] if v.get("condition") == SPANISH]
    english = [v for v in domain["responses"][name] if not v.get("condition")]
    return spanish, english


def test_every_response_has_spanish_variations(domain: dict[str, Any]) -> None:
    for name in domain["responses"]:
        spanish, english = variations(domain, name)
        assert spanish, f"{name} has no Spanish variation"
        assert english, f"{name} lost its English variation"
        for variation in spanish:
            assert not ENGLISH.search(variation["text"]), (name, variation["text"])
            assert SPANISH_MARKS.search(variation["text"]), (name, variation["text"])
            english_payloads = sorted(b["payload"] for e in english for b in e.get("buttons", []))
            spanish_payloads = sorted(b["payload"] for b in variation.get("buttons", []))
            assert spanish_payloads == english_payloads[: len(spanish_payloads)], name


@pytest.mark.parametrize(("language", "spanish"), [("es", True), ("en", False), (None, False)])
def test_rasa_picks_the_conversations_language(
    rasa_domain: Domain, domain: dict[str, Any], language: str | None, spanish: bool
) -> None:
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    events = [SlotSet("language", language)] if language else []
    tracker = DialogueStateTracker.from_events("c", events, slots=rasa_domain.slots)
    for name in domain["responses"]:
        wanted = {v["text"] for v in variations(domain, name)[0 if spanish else 1]}
        for _ in range(6):  # variations are chosen at random: sample a few
            response = asyncio.run(nlg.generate(name, tracker, "socketio"))
            assert response is not None
            assert response["text"] in wanted, (name, language, response["text"])


def test_the_language_slots_are_in_the_domain(domain: dict[str, Any]) -> None:
    language = domain["slots"]["language"]
    assert language["type"] == "categorical"
    assert language["values"] == ["en", "es"]
    assert language["influence_conversation"] is False
    assert domain["slots"]["locale"]["influence_conversation"] is False


def test_the_summary_names_a_spanish_conversation() -> None:
    summary = build_summary(
        REFUND_EVENTS, order_number="ORD-104233", authenticated=True, language="es"
    )
    assert summary.startswith("Language: Spanish. Wants: a refund")
    english = build_summary(
        REFUND_EVENTS, order_number="ORD-104233", authenticated=True, language="en"
    )
    assert english == build_summary(REFUND_EVENTS, order_number="ORD-104233", authenticated=True)
    assert "Language" not in english


async def test_handoff_in_spanish_says_so_in_the_summary(domain: dict[str, Any]) -> None:
    tracker = tracker_from(
        [user("quiero hablar con una persona", "request_human")], language="es", locale="es_MX"
    )
    messages, _ = await run(ActionHandoff(), tracker, domain)
    assert messages[0]["response"] == "utter_handoff"  # Spanish variation chosen by Rasa
    payload = messages[1]["custom"]["handoff"]
    assert payload["summary"].startswith("Language: Spanish.")


async def test_handback_keeps_the_language(domain: dict[str, Any]) -> None:
    tracker = tracker_from(
        [user("EXTERNAL: EXTERNAL_handback", "EXTERNAL_handback")],
        language="es",
        locale="es_MX",
        handoff_active=True,
        handoff_reason="explicit_request",
    )
    _, result = await run(ActionHandback(), tracker, domain)
    changed = {e["name"] for e in result if e["event"] == "slot"}
    assert "language" not in changed
    assert "locale" not in changed
    assert "handoff_reason" in changed
