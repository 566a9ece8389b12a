"""Customer protocol: Rasa compatibility, session binding, idempotency, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from common.identity import mint_customer_token
from hub.domain.views import ConversationView, MessageView
from tests.hub.conftest import TOKEN_SECRET, RunningHub, customer_token, new_customer


async def _stored(
    hub: RunningHub, session_id: str, session_key: str | None = None
) -> tuple[list[MessageView], ConversationView]:
    grant = hub.service.sessions.open_session(session_id, None)
    assert grant.session_id == session_id, "test helper must re-open the same session"
    return hub.service.messages.messages_after(
        grant.conversation_id, None
    ), hub.service.sessions.get_conversation(grant.conversation_id)


async def test_buttons_and_images_arrive_in_rasa_socketio_shapes(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]
    await customer.call("user_uttered", {"message": "show me options", "session_id": sid})
    buttons = await customer.wait_for("bot_uttered")
    assert buttons["text"] == "Which order?"
    assert buttons["quick_replies"] == [
        {
            "content_type": "text",
            "title": "ORD-104233",
            "payload": '/inform{"order_number":"ORD-104233"}',
        },
        {
            "content_type": "text",
            "title": "ORD-104288",
            "payload": '/inform{"order_number":"ORD-104288"}',
        },
    ]
    mark = customer.mark()
    await customer.call("user_uttered", {"message": "send a picture", "session_id": sid})
    image = await customer.wait_for("bot_uttered", after=mark)
    assert image["attachment"] == {
        "type": "image",
        "payload": {"src": "https://example.test/receipt.png"},
    }
    # Exactly Rasa's key sets (rasa-webchat drops any other); the hub's additions in metadata.
    assert set(buttons) == {"text", "quick_replies", "metadata"}
    assert set(image) == {"attachment", "metadata"}
    for event in (buttons, image):
        assert set(event["metadata"]) == {"id", "sender", "ts"}
        assert event["metadata"]["sender"] == {"type": "bot", "name": None}
    assert buttons["metadata"]["id"] < image["metadata"]["id"]


async def test_old_client_without_session_request_gets_a_session(hub, clients, fake_rasa):
    customer = clients(hub.url)
    await customer.connect()
    ack = await customer.call("user_uttered", {"message": "hello"})
    assert isinstance(ack["id"], int)
    confirm = await customer.wait_for("session_confirm")
    assert isinstance(confirm, str)  # the bare id, as Rasa sends it
    assert len(confirm) >= 43
    reply = await customer.wait_for("bot_uttered")
    assert set(reply) == {"text", "metadata"}


async def test_metadata_token_is_verified_and_forwarded(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    token = customer_token("cus_bob")
    await customer.call(
        "user_uttered",
        {
            "message": "hi",
            "session_id": confirm["session_id"],
            "metadata": {"customer_token": token, "customer_ref": "cus_mallory", "x": 1},
        },
    )
    await customer.wait_for("bot_uttered")
    assert fake_rasa.webhook_calls[0]["metadata"] == {
        "channel": "hub",
        "customer_token": token,
        "customer_ref": "cus_bob",
        "language": "en",
    }


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param(
            mint_customer_token("cus_alice", "another-secret-0123456789abcdef"), id="forged"
        ),
        pytest.param(
            mint_customer_token(
                "cus_alice",
                TOKEN_SECRET,
                timedelta(minutes=5),
                datetime.now(timezone.utc) - timedelta(hours=2),
            ),
            id="expired",
        ),
    ],
)
async def test_bad_tokens_make_an_anonymous_session(hub, clients, fake_rasa, token):
    customer, confirm = await new_customer(clients, hub, token=token)
    assert confirm["state"] == "bot"
    await customer.call(
        "user_uttered",
        {
            "message": "hi",
            "session_id": confirm["session_id"],
            "metadata": {"customer_token": token},
        },
    )
    await customer.wait_for("bot_uttered")
    assert fake_rasa.webhook_calls[0]["metadata"] == {"channel": "hub", "language": "en"}


async def test_a_customer_cannot_join_another_customers_session(hub, clients, fake_rasa):
    alice, alice_confirm = await new_customer(clients, hub, token=customer_token("cus_alice"))
    await alice.call(
        "user_uttered", {"message": "secret stuff", "session_id": alice_confirm["session_id"]}
    )
    await alice.wait_for("bot_uttered")

    alice_ids = {m.id for m in (await _alice_messages(hub, alice_confirm["session_id"]))}

    # Someone holding her session id as another customer gets a fresh session at once.
    bob, confirm = await new_customer(
        clients,
        hub,
        token=customer_token("cus_bob"),
        session={"session_id": alice_confirm["session_id"]},
    )
    assert confirm["session_id"] != alice_confirm["session_id"]
    replay = await bob.call(
        "resume", {"session_id": alice_confirm["session_id"], "last_seen_id": None}
    )
    assert replay["error"]["code"] == "unknown_session"

    # Anonymous with her id: confirmed (Rasa clients keep their id) but given nothing, and
    # its first message without her token starts a new conversation.
    anon, confirm = await new_customer(
        clients, hub, session={"session_id": alice_confirm["session_id"], "last_seen_id": None}
    )
    assert confirm["identity_required"] is True
    replay = await anon.call(
        "resume", {"session_id": alice_confirm["session_id"], "last_seen_id": None}
    )
    assert replay["error"]["code"] == "no_session"
    mark = anon.mark()
    sent = await anon.call(
        "user_uttered", {"message": "hi", "session_id": alice_confirm["session_id"]}
    )
    assert isinstance(sent["id"], int)
    assert sent["id"] not in alice_ids
    fresh = await anon.wait_for("session_confirm", after=mark)
    assert fresh != alice_confirm["session_id"]
    await anon.wait_for("bot_uttered")
    for intruder in (bob, anon):
        seen = {e["metadata"]["id"] for e in intruder.of("bot_uttered")}
        assert not seen & alice_ids
        assert all("secret" not in str(e) for e in intruder.events)

    # Alice herself, on a new connection with her token, gets her session back.
    _again, confirm = await new_customer(
        clients,
        hub,
        token=customer_token("cus_alice"),
        session={"session_id": alice_confirm["session_id"]},
    )
    assert confirm["session_id"] == alice_confirm["session_id"]


async def _alice_messages(hub: RunningHub, session_id: str) -> list[MessageView]:
    grant = hub.service.sessions.open_session(session_id, "cus_alice")
    return hub.service.messages.messages_after(grant.conversation_id, None)


async def test_the_session_id_rejoins_an_anonymous_conversation(hub, clients, fake_rasa):
    first_client, first = await new_customer(clients, hub)
    await first_client.call("user_uttered", {"message": "hi", "session_id": first["session_id"]})
    await first_client.wait_for("bot_uttered")
    again, rejoined = await new_customer(
        clients, hub, session={"session_id": first["session_id"], "last_seen_id": None}
    )
    assert rejoined == {"session_id": first["session_id"], "state": "bot", "language": "en"}
    # A client with a cursor gets the whole transcript back, its own messages included.
    assert [e["text"] for e in again.of("user_uttered")] == ["hi"]
    assert [e["text"] for e in again.of("bot_uttered")] == ["bot reply to: hi"]


async def test_an_unguessable_client_id_is_adopted_and_a_guessable_one_is_not(
    hub, clients, fake_rasa
):
    chosen = "3f2a9c1e7b5d4f6a8e0c2b4d6f8a1c3e5b7d9f0a"
    _, adopted = await new_customer(clients, hub, session={"session_id": chosen})
    assert adopted["session_id"] == chosen
    _, minted = await new_customer(clients, hub, session={"session_id": "user-42"})
    assert minted["session_id"] != "user-42"


async def test_client_message_ids_make_retries_idempotent(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    body = {
        "message": "where is my order",
        "session_id": confirm["session_id"],
        "client_msg_id": "c-1",
    }
    first = await customer.call("user_uttered", body)
    await customer.wait_for("bot_uttered")
    second = await customer.call("user_uttered", body)
    assert second == {"id": first["id"], "duplicate": True, "language": "en"}
    messages, _ = await _stored(hub, confirm["session_id"])
    assert [m.text for m in messages if m.sender_type == "customer"] == ["where is my order"]
    assert len(fake_rasa.webhook_calls) == 1


BAD_UTTERANCES = [
    pytest.param("just a string", "malformed", id="not-an-object"),
    pytest.param({"message": 42}, "malformed", id="message-not-text"),
    pytest.param({"message": ["a"]}, "malformed", id="message-list"),
    pytest.param({"message": "x" * 4001}, "too_large", id="oversized"),
    pytest.param({"message": "bad \ud800 surrogate"}, "invalid_encoding", id="lone-surrogate"),
    pytest.param({"message": b"\xff\xfe\xfa"}, "invalid_encoding", id="binary-not-utf8"),
    pytest.param({"message": "hi", "metadata": "{not json"}, "malformed", id="metadata-bad-json"),
    pytest.param({"message": "hi", "metadata": 7}, "malformed", id="metadata-not-object"),
    pytest.param({"message": "hi", "client_msg_id": {"a": 1}}, "malformed", id="bad-client-id"),
]


@pytest.mark.parametrize(("payload", "code"), BAD_UTTERANCES)
async def test_bad_events_get_an_error_and_change_nothing(hub, clients, fake_rasa, payload, code):
    customer, confirm = await new_customer(clients, hub)
    if isinstance(payload, dict):
        payload = {"session_id": confirm["session_id"], **payload}
    ack = await customer.call("user_uttered", payload)
    assert ack["error"]["code"] == code
    error = await customer.wait_for("error")
    assert error == ack["error"]
    assert "surrogate" not in error["message"]
    assert "xxxx" not in error["message"]
    messages, conversation = await _stored(hub, confirm["session_id"])
    assert messages == []
    assert conversation.state == "bot"
    assert fake_rasa.webhook_calls == []


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("rate", {"score": 9}, "malformed"),
        ("rate", {"score": "5"}, "malformed"),
        ("leave_contact", {}, "malformed"),
        ("resume", {"last_seen_id": -1}, "malformed"),
        ("resume", {"last_seen_id": "3"}, "malformed"),
        ("session_request", {"session_id": ["x"]}, "malformed"),
        ("no_such_event", {}, "unknown_event"),
    ],
)
async def test_other_malformed_events(hub, clients, fake_rasa, event, payload, code):
    customer, _ = await new_customer(clients, hub)
    ack = await customer.call(event, payload)
    assert ack["error"]["code"] == code


async def test_events_before_a_session_are_refused(hub, clients, fake_rasa):
    customer = clients(hub.url)
    await customer.connect()
    ack = await customer.call("request_human", {"session_id": "abc"})
    assert ack["error"]["code"] == "no_session"
    # A message names its session itself (Rasa clients may skip session_request): a short,
    # guessable id is not adopted, the hub mints one and confirms it first.
    sent = await customer.call("user_uttered", {"message": "hi", "session_id": "abc"})
    assert isinstance(sent["id"], int)
    confirm = await customer.wait_for("session_confirm")
    assert confirm != "abc"
