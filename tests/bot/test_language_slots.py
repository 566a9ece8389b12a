"""The language and locale slots, set by action_extract_slots on every user turn."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import language_slots
from bot.language_tagger import decide

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


@pytest.fixture
def patched() -> Iterator[None]:
    language_slots.apply()
    yield
    language_slots.restore()


def _user(text: str, metadata: dict[str, Any] | None = None) -> UserUttered:
    """A user turn as Rasa records it: the parse data carries the tagger's record."""
    parse_data = {
        "text": text,
        "intent": {"name": "inform", "confidence": 0.9},
        "entities": [],
        "language": decide(text, metadata or {}),
    }
    return UserUttered(text, parse_data["intent"], [], parse_data, metadata=metadata)


class Conversation:
    """A tracker fed turn by turn, with action_extract_slots run after each user message."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.tracker = DialogueStateTracker.from_events("c1", [], slots=domain.slots)
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)

    def say(self, text: str, metadata: dict[str, Any] | None = None) -> list[Event]:
        self.tracker.update(ActionExecuted("action_listen"))
        self.tracker.update(_user(text, metadata))
        events = asyncio.run(
            ActionExtractSlots(None).run(
                CollectingOutputChannel(), self.nlg, self.tracker, self.domain
            )
        )
        for event in events:
            self.tracker.update(event)
        return [e for e in events if isinstance(e, SlotSet) and e.key in ("language", "locale")]

    @property
    def slots(self) -> tuple[Any, Any]:
        return self.tracker.get_slot("language"), self.tracker.get_slot("locale")


def test_slots_are_defined_as_the_contract_says(domain: Domain) -> None:
    slots = {slot.name: slot for slot in domain.slots}
    language, locale = slots["language"], slots["locale"]
    assert language.type_name == "categorical"
    assert [v for v in language.values if v != "__other__"] == ["en", "es"]
    assert locale.type_name == "text"
    assert not language.influence_conversation
    assert not locale.influence_conversation
    assert language.mappings == [{"type": "custom"}] == locale.mappings


def test_set_from_metadata(domain: Domain, patched: None) -> None:
    talk = Conversation(domain)
    events = talk.say("ok", {"language": "es", "page_language": "es-MX"})
    assert events == [SlotSet("language", "es"), SlotSet("locale", "es_MX")]
    # the hub's decision wins over the text
    talk.say("when is my next payment due?", {"language": "es", "page_language": "es-MX"})
    assert talk.slots == ("es", "es_MX")


def test_set_from_detection_and_kept_by_the_prior_on_ok(domain: Domain, patched: None) -> None:
    talk = Conversation(domain)
    assert talk.say("¿cuándo vence mi próximo pago?") == [
        SlotSet("language", "es"),
        SlotSet("locale", "es_ES"),
    ]
    # "ok" alone would be English by default; the conversation's language is the prior
    assert decide("ok", {})["code"] == "en"
    assert talk.say("ok") == []
    assert talk.slots == ("es", "es_ES")
    assert talk.say("gracias") == []
    # a clear switch is followed
    assert talk.say("actually I would like to speak English please") == [
        SlotSet("language", "en"),
        SlotSet("locale", "en_GB"),
    ]
    assert talk.say("vale") == []
    assert talk.slots == ("en", "en_GB")


def test_page_language_gives_the_locale_and_first_prior(domain: Domain, patched: None) -> None:
    talk = Conversation(domain)
    talk.say("ok", {"page_language": "es-AR"})
    assert talk.slots == ("es", "es_AR")
    other = Conversation(domain)
    other.say("where is my refund", {"page_language": "es-AR"})
    assert other.slots == ("en", "en_GB")


def test_no_entities_are_added(domain: Domain, patched: None) -> None:
    talk = Conversation(domain)
    talk.say("mi pedido es ORD-104233")
    assert talk.tracker.latest_message.entities == []
    assert talk.slots == ("es", "es_ES")


def test_stock_extraction_still_runs(domain: Domain, patched: None) -> None:
    talk = Conversation(domain)
    talk.tracker.update(ActionExecuted("action_listen"))
    user = _user("¿dónde está mi pedido?")
    user.intent = {"name": "order_status", "confidence": 0.9}
    user.parse_data["intent"] = user.intent
    talk.tracker.update(user)
    events = asyncio.run(
        ActionExtractSlots(None).run(CollectingOutputChannel(), talk.nlg, talk.tracker, domain)
    )
    assert SlotSet("requested_topic", "order_status") in events
    assert SlotSet("language", "es") in events


def test_restore_gives_stock_behaviour(domain: Domain) -> None:
    language_slots.apply()
    language_slots.restore()
    talk = Conversation(domain)
    assert talk.say("¿cuándo vence mi próximo pago?") == []
    assert talk.slots == (None, None)
