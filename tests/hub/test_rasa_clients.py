"""Rasa web chat clients against the real hub: Rasa 3.6's exact shapes, sessions, identity.

These clients speak only what ``rasa/core/channels/socketio.py`` speaks: ``session_request
{session_id}``, ``user_uttered {message, session_id, <metadata_key>}``, and they read
``session_confirm`` and ``bot_uttered`` by exact key sets. The browser tests
(``tests/browser/test_rasa_webchat.py``) run rasa-webchat itself.
"""

from __future__ import annotations

from typing import Any

from hub.services.sessions import session_ref
from tests.hub.clients import RecordingClient
from tests.hub.conftest import RunningHub, customer_token, online_agent

RASA_SHAPES = ({"text"}, {"text", "quick_replies"}, {"attachment"})


async def rasa_client(
    clients: Any, hub: RunningHub, session_id: str | None = None
) -> tuple[RecordingClient, str]:
    """Connect like rasa-webchat: no auth, ``session_request {session_id}``, no ack."""
    client: RecordingClient = clients(hub.url)
    await client.connect()
    mark = client.mark()
    await client.emit("session_request", {"session_id": session_id})
    confirmed = await client.wait_for("session_confirm", after=mark)
    assert isinstance(confirmed, str)
    return client, confirmed


def legacy_view(event: dict[str, Any]) -> dict[str, Any]:
    """What rasa-webchat draws from: the event without ``metadata``."""
    return {k: v for k, v in event.items() if k != "metadata"}


async def test_every_message_has_rasa_keys_and_notices_are_text(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, sid = await rasa_client(clients, hub)
    await customer.emit("user_uttered", {"message": "show me options", "session_id": sid})
    await customer.wait_for("bot_uttered")
    await customer.emit("user_uttered", {"message": "I want a human", "session_id": sid})
    queued = await customer.wait_for(
        "bot_uttered", lambda d: d["metadata"].get("handoff_status") == "queued"
    )
    assert "line" in queued["text"] or "connecting" in queued["text"]
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    await customer.wait_for(
        "bot_uttered", lambda d: d["metadata"].get("handoff_status") == "agent_joined"
    )
    reply = await agent.call(
        "reply", {"conversation_id": offer["conversation_id"], "text": "Hi, I can help."}
    )
    said = await customer.wait_for("bot_uttered", lambda d: d["metadata"]["id"] == reply["id"])
    # A Rasa widget shows every message as the bot's: the text says a person wrote it.
    assert legacy_view(said) == {"text": "Ana from our team: Hi, I can help."}
    assert said["metadata"]["sender"] == {"type": "agent", "name": "Ana"}
    assert said["metadata"]["text"] == "Hi, I can help."
    for event in customer.of("bot_uttered"):
        assert set(legacy_view(event)) in RASA_SHAPES, event
        assert isinstance(event["metadata"]["id"], int)


async def test_reload_continues_the_conversation_and_replays_what_was_missed_once(
    hub, clients, fake_rasa
):
    agent = await online_agent(clients, hub)
    customer, sid = await rasa_client(clients, hub)
    await customer.emit("user_uttered", {"message": "I want a human", "session_id": sid})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    await customer.wait_for(
        "bot_uttered", lambda d: d["metadata"].get("handoff_status") == "agent_joined"
    )
    seen_before = {e["metadata"]["id"] for e in customer.of("bot_uttered")}
    await customer.disconnect()  # the page reloads

    away = await agent.call(
        "reply", {"conversation_id": offer["conversation_id"], "text": "Sent while away"}
    )
    again, same = await rasa_client(clients, hub, sid)
    assert same == sid
    replayed = await again.wait_for("bot_uttered", lambda d: d["metadata"]["id"] == away["id"])
    assert replayed["text"] == "Ana from our team: Sent while away"
    status = await again.wait_for("handoff_status")
    assert status == {"state": "agent_joined", "agent_name": "Ana", "current": True}

    # Still the agent's conversation: the next message reaches the agent, not the bot.
    await again.emit("user_uttered", {"message": "thanks", "session_id": sid})
    relayed = await agent.wait_for("message", lambda d: d.get("text") == "thanks")
    assert relayed["conversation_id"] == offer["conversation_id"]
    assert fake_rasa.webhook_calls == []
    ids = [e["metadata"]["id"] for e in again.of("bot_uttered")]
    assert ids == [away["id"]]  # nothing it had already, nothing twice
    assert not seen_before & set(ids)


async def test_custom_data_identity_with_the_configured_metadata_key(
    hub_factory, clients, fake_rasa
):
    hub = await hub_factory(metadata_key="customData")
    token = customer_token("cus_alice")
    customer, sid = await rasa_client(clients, hub)
    # rasa-webchat opening without initPayload: an empty message, answered by nothing.
    await customer.emit(
        "user_uttered", {"customData": {"customer_token": token}, "session_id": sid}
    )
    await customer.emit(
        "user_uttered",
        {"message": "hi", "customData": {"customer_token": token}, "session_id": sid},
    )
    await customer.wait_for("bot_uttered")
    assert customer.of("error") == []
    assert [c["message"] for c in fake_rasa.webhook_calls] == ["hi"]
    assert fake_rasa.webhook_calls[0]["sender"] == session_ref(sid)  # never the id itself
    assert fake_rasa.webhook_calls[0]["metadata"]["customer_ref"] == "cus_alice"
    # ``metadata`` is not the configured key here: its token is not read.
    other, other_sid = await rasa_client(clients, hub)
    await other.emit(
        "user_uttered",
        {"message": "hello", "metadata": {"customer_token": token}, "session_id": other_sid},
    )
    await other.wait_for("bot_uttered")
    assert fake_rasa.webhook_calls[1]["metadata"] == {"channel": "hub", "language": "en"}

    # Reload: the verified conversation is confirmed but held back until the customer's
    # next message proves them again with customData; then it continues, with the replay.
    await customer.disconnect()
    reloaded, same = await rasa_client(clients, hub, sid)
    assert same == sid
    assert reloaded.of("bot_uttered") == []
    await reloaded.emit(
        "user_uttered",
        {"message": "again", "customData": {"customer_token": token}, "session_id": sid},
    )
    await reloaded.wait_for("bot_uttered", lambda d: d["text"] == "bot reply to: again")
    assert [c["sender"] for c in fake_rasa.webhook_calls if c["message"] == "again"] == [
        session_ref(sid)
    ]


async def test_init_payload_reaches_the_bot_and_empty_messages_are_not_errors(
    hub, clients, fake_rasa
):
    customer, sid = await rasa_client(clients, hub)
    for empty in ({"session_id": sid}, {"message": None, "session_id": sid}):
        ack = await customer.call("user_uttered", empty)
        assert ack == {"id": None, "duplicate": False, "empty": True}
    await customer.emit("user_uttered", {"message": "/greet", "session_id": sid})
    greeting = await customer.wait_for("bot_uttered")
    assert greeting["text"] == "bot reply to: /greet"
    assert customer.of("error") == []
    assert [c["message"] for c in fake_rasa.webhook_calls] == ["/greet"]


async def test_cors_origins_are_enforced(hub_factory, clients, fake_rasa):
    import aiohttp

    hub = await hub_factory(cors_origins=("http://shop.example",))
    url = f"{hub.url}/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Origin": "http://shop.example"}) as allowed:
            assert allowed.status == 200
            assert allowed.headers["Access-Control-Allow-Origin"] == "http://shop.example"
        async with http.get(url, headers={"Origin": "http://evil.example"}) as refused:
            assert refused.status == 400
