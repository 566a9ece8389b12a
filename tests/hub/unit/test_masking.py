"""Card numbers are masked at the hub's edge: in the one write path, before anything sees them.

Services only (fake bot, recording channels): what is stored, what the bot is sent, what agents
get relayed, the context packet, tickets and the hub's summary; the once-per-conversation note,
also after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from hub.domain.texts import MASKED_NOTE_TEXT
from hub.services.wiring import HubServices
from tests.hub.unit.conftest import PASSWORD
from tests.hub.unit.turn_fakes import Hub, build_hub

CARD = "4111 1111 1111 1111"
TYPED = f"my card {CARD} was declined, why?"
MASKED = "my card •••• •••• •••• 1111 was declined, why?"
NOTE_EN = MASKED_NOTE_TEXT["en", "card"]


# Thirteen digits or more, grouped or not: a full card number (a masked one keeps four).
FULL_NUMBER = re.compile(r"(?:[0-9][ -]?){13,}")


def _no_full_number(text: str | None) -> bool:
    return FULL_NUMBER.search(text or "") is None


@pytest.fixture
def hub(service: HubServices) -> Hub:
    return build_hub(service)


async def _say(
    hub: Hub,
    service: HubServices,
    text: str,
    conversation_id: str | None = None,
    client_msg_id: str | None = None,
):
    if conversation_id is None:
        conversation_id = service.sessions.open_session(None, None).conversation_id
    session_id = service.sessions.get_conversation(conversation_id).session_id
    stored = await hub.turns.receive(
        conversation_id, session_id, text, client_msg_id, {"channel": "hub"}
    )
    await hub.turns.drain()
    return conversation_id, stored


def _stored(service: HubServices, conversation_id: str) -> list[tuple[str, str | None]]:
    return [(m.sender_type, m.text) for m in service.messages.messages_after(conversation_id, None)]


async def test_a_card_number_is_masked_before_it_is_stored_or_sent_to_the_bot(hub, service):
    conv, stored = await _say(hub, service, TYPED)
    assert stored.message.text == MASKED
    assert stored.masked == {"card"}
    assert [text for _sid, text, _meta in hub.bot.sent] == [MASKED]
    assert _stored(service, conv) == [
        ("customer", MASKED),
        ("system", NOTE_EN),
        ("bot", "Here you go."),
    ]
    # The customer gets the note, then the bot's answer.
    assert [m.text for m in hub.channels.messages] == [NOTE_EN, "Here you go."]


async def test_the_note_comes_once_per_conversation_even_after_a_restart(
    hub, service, make_service: Callable[..., HubServices]
):
    conv, _ = await _say(hub, service, TYPED)
    await _say(hub, service, "and cvv 123, does that help?", conv)
    restarted = build_hub(make_service())
    await _say(restarted, service, "IBAN GB82 WEST 1234 5698 7654 32", conv)
    texts = [text for sender, text in _stored(service, conv) if sender == "system"]
    assert texts == [NOTE_EN]
    assert [m.text for m in restarted.channels.messages] == ["Here you go."]
    # Another conversation gets its own note.
    other, _ = await _say(hub, service, TYPED)
    assert ("system", NOTE_EN) in _stored(service, other)


async def test_no_note_when_nothing_was_masked(hub, service):
    conv, stored = await _say(hub, service, "order ORD-104233, paid £1,234.56 on 2024-01-15")
    assert stored.masked == frozenset()
    assert [sender for sender, _ in _stored(service, conv)] == ["customer", "bot"]


@pytest.mark.parametrize(
    ("typed", "note"),
    [
        ("mi tarjeta 4111111111111111 fue rechazada, ¿por qué?", MASKED_NOTE_TEXT["es", "card"]),
        ("el código de seguridad es 123", MASKED_NOTE_TEXT["es", "card"]),
        ("my account number is 12345678", MASKED_NOTE_TEXT["en", "other"]),
        ("mi número de cuenta es 2100 0418 45 0200051332", MASKED_NOTE_TEXT["es", "other"]),
    ],
)
async def test_the_note_speaks_the_messages_language_and_names_what_was_hidden(
    hub, service, typed, note
):
    conv, _ = await _say(hub, service, typed)
    assert ("system", note) in _stored(service, conv)


async def test_a_retried_message_is_stored_once_masked_with_one_note(hub, service):
    conv, first = await _say(hub, service, TYPED, client_msg_id="c1")
    _, again = await _say(hub, service, TYPED, conv, client_msg_id="c1")
    assert (again.created, again.message.id, again.message.text) == (
        False,
        first.message.id,
        MASKED,
    )
    assert again.masked == frozenset()
    assert [s for s, _ in _stored(service, conv)] == ["customer", "system", "bot"]


async def test_agents_context_tickets_and_summary_only_see_masked_text(
    hub, service, make_agent: Callable[..., int]
):
    agent_id = make_agent()
    conv, _ = await _say(hub, service, TYPED)
    await _say(hub, service, "I want a person", conv)
    packet = service.work.claim(agent_id, conv)
    await _say(hub, service, "it was 5555-5555-5555-4444 too", conv)
    relayed = [m.text for m in hub.channels.relayed]
    assert "it was •••• •••• •••• 4444 too" in relayed
    summary = service.sessions.get_conversation(conv).summary
    ticket = service.tickets.create_ticket(conv, "ana@example.com", None, f"card {CARD}")
    context = service.work.context(agent_id, conv)
    seen = [
        *relayed,
        *(m.text for m in packet.transcript),
        *(m.text for m in context.transcript),
        *(line.text for line in ticket.transcript),
        ticket.note,
        summary,
    ]
    assert MASKED in seen
    assert MASKED in (summary or "")  # the hub's summary quotes the customer, masked
    assert all(_no_full_number(text) for text in seen), seen


async def test_an_agents_reply_is_masked_too_without_a_note(
    hub, service, make_agent: Callable[..., int]
):
    agent_id = make_agent(username="ana")
    session = service.agents.login("ana", PASSWORD)
    assert session is not None
    conv, _ = await _say(hub, service, "I want a person")
    service.work.claim(agent_id, conv)
    reply = await hub.desk.reply(
        agent_id, session.token, conv, f"is it {CARD}? never send it here", None
    )
    assert reply.message.text == "is it •••• •••• •••• 1111? never send it here"
    assert hub.channels.messages[-1].text == reply.message.text
    notes = set(MASKED_NOTE_TEXT.values())
    assert not any(text in notes for _, text in _stored(service, conv))
