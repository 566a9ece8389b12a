"""Spanish end to end on the hub's side (issue 19), through the real hub and socket clients.

The conversation's language is decided on each customer message (``common.language``), stored
with the conversation, sent to Rasa as ``metadata.language`` / ``metadata.page_language``, and
drives the hub's own notices; routing offers a Spanish conversation to a Spanish-speaking agent
first, then (``language_fallback_to_anyone``) to anyone.
"""

from __future__ import annotations

from typing import Any

from hub.domain.texts import LOCALISED_STATUS_TEXT, MASKED_NOTE_TEXT
from tests.hub.clients import RecordingClient
from tests.hub.conftest import RunningHub, new_customer, online_agent

ES = LOCALISED_STATUS_TEXT["es"]
ASK = "¿cuándo vence mi próximo pago?"
ASK_PERSON = "quiero hablar con una persona"


async def _spanish_customer(
    clients: Any, hub: RunningHub, first: str = ASK, page: str | None = "es-MX"
) -> tuple[RecordingClient, str, str]:
    """A customer on a Spanish page who writes ``first``; returns client, session, conversation."""
    customer, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]
    extra = {"page_language": page} if page else {}
    await customer.call("user_uttered", {"message": first, "session_id": sid, **extra})
    conversation_id = hub.service.sessions.open_session(sid, None).conversation_id
    return customer, sid, conversation_id


def _agent_id(hub: RunningHub, username: str) -> int:
    return next(a.agent_id for a in hub.service.agents.list_agents() if a.username == username)


async def test_language_goes_to_rasa_and_short_messages_keep_it(hub, clients, fake_rasa):
    customer, sid, conv = await _spanish_customer(clients, hub)
    await customer.wait_for("bot_uttered")
    assert fake_rasa.webhook_calls[0]["metadata"] == {
        "channel": "hub",
        "language": "es",
        "page_language": "es-MX",
    }
    # "ok" and an order number alone keep Spanish; the page's tag is remembered.
    for text in ("ok", "ORD-104512"):
        await customer.call("user_uttered", {"message": text, "session_id": sid})
        await customer.wait_for("bot_uttered", lambda d, t=text: d["text"].endswith(t))
    assert [c["metadata"]["language"] for c in fake_rasa.webhook_calls] == ["es"] * 3
    assert {c["metadata"]["page_language"] for c in fake_rasa.webhook_calls} == {"es-MX"}
    view = hub.service.sessions.get_conversation(conv)
    assert (view.language, view.page_language) == ("es", "es-MX")
    # A full English sentence switches the conversation to English.
    await customer.call(
        "user_uttered", {"message": "when is my next payment due", "session_id": sid}
    )
    await customer.wait_for("bot_uttered", lambda d: d["text"].endswith("due"))
    assert fake_rasa.webhook_calls[-1]["metadata"]["language"] == "en"
    assert hub.service.sessions.get_conversation(conv).language == "en"


async def test_rasa_web_chat_custom_data_carries_the_page_language(hub_factory, clients, fake_rasa):
    hub = await hub_factory(metadata_key="customData")
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered",
        {"message": "hola", "session_id": confirm["session_id"], "customData": {"language": "es"}},
    )
    await customer.wait_for("bot_uttered")
    assert fake_rasa.webhook_calls[0]["metadata"]["language"] == "es"
    assert fake_rasa.webhook_calls[0]["metadata"]["page_language"] == "es"


async def test_a_spanish_conversation_is_offered_to_the_spanish_agent_first(hub, clients):
    ana = await online_agent(clients, hub, "ana")
    lucia = await online_agent(clients, hub, "lucia", languages=("es", "en"))
    customer, _sid, conv = await _spanish_customer(clients, hub, ASK_PERSON)
    queued = await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    assert queued["text"] == ES["queued"].format(position=1)
    assert queued["language"] == "es"

    offer = await lucia.wait_for("offer", lambda d: d["conversation_id"] == conv)
    assert offer["language"] == "es"
    work = hub.service.work
    assert work.next_offer(_agent_id(hub, "ana")) is None  # Lucía has room: not Ana's
    refused = await ana.call("claim", {"conversation_id": conv})
    assert refused["error"]["code"] == "not_allowed"
    assert not [o for o in ana.of("offer") if o["conversation_id"] == conv]

    queue = await lucia.wait_for(
        "queue", lambda d: any(w["language"] == "es" for w in d["waiting"])
    )
    assert [w["language"] for w in queue["waiting"]] == ["es"]
    packet = await lucia.call("claim", {"conversation_id": conv})
    assert packet["conversation"]["language"] == "es"
    assert "Language: Spanish (page es-MX)." in packet["conversation"]["summary"]
    joined = await customer.wait_for("handoff_status", lambda d: d["state"] == "agent_joined")
    assert joined["text"] == ES["agent_joined"].format(name="Lucia")


async def test_with_no_spanish_agent_online_anyone_gets_it_when_configured(hub, clients):
    ana = await online_agent(clients, hub, "ana")
    customer, _sid, conv = await _spanish_customer(clients, hub, ASK_PERSON)
    await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    offer = await ana.wait_for("offer", lambda d: d["conversation_id"] == conv)
    assert offer["language"] == "es"
    packet = await ana.call("claim", {"conversation_id": conv})
    assert packet["conversation"]["conversation_id"] == conv


async def test_without_fallback_it_waits_for_a_spanish_speaker(hub_factory, clients):
    hub = await hub_factory(language_fallback=False)
    ana = await online_agent(clients, hub, "ana")
    customer, _sid, conv = await _spanish_customer(clients, hub, ASK_PERSON)
    queued = await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    assert queued["position"] == 1
    assert hub.service.work.next_offer(_agent_id(hub, "ana")) is None
    refused = await ana.call("claim", {"conversation_id": conv})
    assert refused["error"]["code"] == "not_allowed"
    # An English conversation behind it still reaches Ana.
    english, confirm = await new_customer(clients, hub)
    await english.call("request_human", {"session_id": confirm["session_id"]})
    english_conv = hub.service.sessions.open_session(confirm["session_id"], None).conversation_id
    offered = await ana.wait_for("offer", lambda d: d["conversation_id"] == english_conv)
    assert offered["language"] == "en"
    # A Spanish speaker comes online: the Spanish conversation is theirs.
    lucia = await online_agent(clients, hub, "lucia", languages=("es",))
    await lucia.wait_for("offer", lambda d: d["conversation_id"] == conv)
    assert (await lucia.call("claim", {"conversation_id": conv}))["conversation"][
        "language"
    ] == "es"


async def test_the_language_survives_a_restart(hub_factory, clients, fake_rasa):
    first = await hub_factory()
    customer, sid, conv = await _spanish_customer(clients, first)
    await customer.wait_for("bot_uttered")
    await customer.disconnect()
    await first.stop()

    second = await hub_factory()  # same database, new process state
    assert second.service.sessions.get_conversation(conv).language == "es"
    back, again = await new_customer(clients, second, session={"session_id": sid})
    assert (again["session_id"], again["language"]) == (sid, "es")  # the widget continues in it
    await back.call("user_uttered", {"message": "ok", "session_id": sid})  # no page tag now
    await back.wait_for("bot_uttered", lambda d: d["text"].endswith("ok"))
    assert fake_rasa.webhook_calls[-1]["metadata"] == {
        "channel": "hub",
        "language": "es",
        "page_language": "es-MX",
    }


async def test_spanish_notices_reach_a_spanish_customer(hub, clients, fake_rasa):
    # Nobody online: the no-agents notice, then the ticket, in Spanish.
    customer, sid, _conv = await _spanish_customer(clients, hub, ASK_PERSON)
    status = await customer.wait_for("handoff_status", lambda d: d["state"] == "no_agents")
    assert status["text"] == ES["no_agents"]
    await customer.call("leave_contact", {"email": "carmen@example.es"})
    ticket = await customer.wait_for("handoff_status", lambda d: d["state"] == "ticket_created")
    assert ticket["text"] == ES["ticket_created"]

    # A card number typed in Spanish: the note is in Spanish.
    await customer.call(
        "user_uttered", {"message": "mi tarjeta 4111 1111 1111 1111 no funciona", "session_id": sid}
    )
    note = MASKED_NOTE_TEXT["es", "card"]
    await customer.wait_for("bot_uttered", lambda d: d["text"] == note)

    # Rasa fails: the hub's own texts still follow the conversation's language.
    fake_rasa.mode = "error"
    await customer.call("user_uttered", {"message": "¿me ayudas con mi pago?", "session_id": sid})
    retry = await customer.wait_for("bot_uttered", lambda d: d["text"] == ES["bot_retry"])
    assert retry["metadata"]["sender"]["type"] == "system"

    # An agent joins, closes: Spanish.
    agent = await online_agent(clients, hub, "ana")
    await customer.call("request_human", {"session_id": sid})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    joined = await customer.wait_for("handoff_status", lambda d: d["state"] == "agent_joined")
    assert joined["text"] == ES["agent_joined"].format(name="Ana")
    await agent.call(
        "close", {"conversation_id": offer["conversation_id"], "disposition": "resolved"}
    )
    closed = await customer.wait_for("handoff_status", lambda d: d["state"] == "closed")
    assert closed["text"] == ES["closed"]
