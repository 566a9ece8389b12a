"""End-to-end handoff flows through the real hub with a fake Rasa and real socket clients."""

from __future__ import annotations

import asyncio

import pytest

from hub.services.sessions import session_ref
from tests.hub.clients import sender_of, text_of
from tests.hub.conftest import customer_token, login, new_customer, online_agent


async def test_routine_question_is_answered_by_the_bot(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    ack = await customer.call(
        "user_uttered", {"message": "when is my next payment", "session_id": confirm["session_id"]}
    )
    reply = await customer.wait_for("bot_uttered")
    assert reply["text"] == "bot reply to: when is my next payment"
    assert reply["metadata"]["sender"] == {"type": "bot", "name": None}
    assert reply["metadata"]["id"] > ack["id"]
    assert fake_rasa.webhook_calls == [
        {
            "sender": session_ref(confirm["session_id"]),  # never the session id itself
            "message": "when is my next payment",
            "metadata": {"channel": "hub", "language": "en"},
        }
    ]
    conversation = hub.service.sessions.get_conversation(
        hub.service.sessions.open_session(confirm["session_id"], None).conversation_id
    )
    assert conversation.state == "bot"


async def test_explicit_request_agent_claims_talks_and_hands_back(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]

    await customer.call("user_uttered", {"message": "I want to talk to a human", "session_id": sid})
    queued = await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    assert queued["reason"] == "explicit_request"
    assert queued["position"] == 1
    assert "estimated_wait_seconds" in queued  # None until there is real history
    assert fake_rasa.webhook_calls == []  # the hub's guard caught it; the bot was not asked

    offer = await agent.wait_for("offer")
    conversation_id = offer["conversation_id"]
    packet = await agent.call("claim", {"conversation_id": conversation_id})
    assert packet["conversation"]["reason"] == "explicit_request"
    assert [m["text"] for m in packet["transcript"] if m["sender_type"] == "customer"] == [
        "I want to talk to a human"
    ]
    joined = await customer.wait_for("handoff_status", lambda d: d["state"] == "agent_joined")
    assert joined["agent_name"] == "Ana"

    # Customer -> agent: stored, relayed, never sent to Rasa while an agent owns it.
    await customer.call("user_uttered", {"message": "my card was declined", "session_id": sid})
    relayed = await agent.wait_for("message", lambda d: d.get("text") == "my card was declined")
    assert relayed["conversation_id"] == conversation_id
    assert fake_rasa.webhook_calls == []

    # Agent -> customer, as bot_uttered marked with the agent.
    await agent.call("typing", {"conversation_id": conversation_id})
    await customer.wait_for("handoff_status", lambda d: d["state"] == "agent_typing")
    ack = await agent.call(
        "reply", {"conversation_id": conversation_id, "text": "Let me check that for you."}
    )
    said = await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "agent")
    assert said == {
        "text": "Ana from our team: Let me check that for you.",
        "metadata": {
            "id": ack["id"],
            "sender": {"type": "agent", "name": "Ana"},
            "ts": said["metadata"]["ts"],
            "text": "Let me check that for you.",
        },
    }

    # Hand back: Rasa is resumed through its HTTP API and the bot speaks again.
    result = await agent.call("hand_back", {"conversation_id": conversation_id})
    assert result == {"state": "bot"}
    await customer.wait_for("handoff_status", lambda d: d["state"] == "bot_resumed")
    back = await customer.wait_for("bot_uttered", lambda d: "I'm back" in (text_of(d) or ""))
    assert sender_of(back) == "bot"
    assert [(kind, cid, body, token) for kind, cid, body, token in fake_rasa.api_calls] == [
        ("events", session_ref(sid), [{"event": "resume"}], "fake-rasa-token"),
        ("trigger", session_ref(sid), {"name": "EXTERNAL_handback"}, "fake-rasa-token"),
    ]
    await customer.call(
        "user_uttered", {"message": "thanks, what is my balance", "session_id": sid}
    )
    answer = await customer.wait_for(
        "bot_uttered", lambda d: d.get("text") == "bot reply to: thanks, what is my balance"
    )
    assert sender_of(answer) == "bot"


async def test_widget_button_requests_a_person(hub, clients, fake_rasa):
    await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    ack = await customer.call("request_human", {"session_id": confirm["session_id"]})
    assert ack == {"state": "queued"}
    status = await customer.wait_for("handoff_status")
    assert status["state"] == "queued"
    assert status["reason"] == "explicit_request"
    # Asking twice is refused without changing anything.
    again = await customer.call("request_human", {"session_id": confirm["session_id"]})
    assert again["error"]["code"] == "invalid_state"


async def test_frustration_handoff_reaches_the_agent_with_reason_summary_and_orders(
    hub, clients, fake_rasa
):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub, token=customer_token("cus_alice"))
    await customer.call(
        "user_uttered", {"message": "this is useless", "session_id": confirm["session_id"]}
    )
    warm = await customer.wait_for("bot_uttered")
    assert warm["text"] == "I'm sorry this has been frustrating."
    assert "custom" not in warm  # the handoff payload is for the hub, not the customer
    status = await customer.wait_for("handoff_status")
    assert (status["state"], status["reason"]) == ("queued", "frustration")
    assert fake_rasa.webhook_calls[0]["metadata"]["customer_ref"] == "cus_alice"

    offer = await agent.wait_for("offer")
    packet = await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    conversation = packet["conversation"]
    assert conversation["reason"] == "frustration"
    assert conversation["summary"] == (
        "Customer is upset about a declined instalment on ORD-104233."
    )
    assert conversation["signals"][0]["name"] == "negative_sentiment"
    assert conversation["order_number"] == "ORD-104233"
    assert packet["customer"]["customer_ref"] == "cus_alice"
    assert packet["orders"], "the verified customer's orders are in the packet"
    senders = [m["sender_type"] for m in packet["transcript"]]
    assert senders[:2] == ["customer", "bot"]


async def test_no_agent_online_offers_a_ticket_and_stores_it(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered", {"message": "I need a real person", "session_id": confirm["session_id"]}
    )
    status = await customer.wait_for("handoff_status")
    assert status["state"] == "no_agents"
    assert "No one" in status["text"]

    ack = await customer.call(
        "leave_contact", {"email": "alice@example.com", "note": "call me about ORD-104233"}
    )
    created = await customer.wait_for("handoff_status", lambda d: d["state"] == "ticket_created")
    assert created["ticket_id"] == ack["ticket_id"]

    # An agent who comes online sees the open ticket with the conversation's transcript.
    agent = await online_agent(clients, hub)
    tickets = (await agent.call("tickets"))["tickets"]
    assert [(t["ticket_id"], t["email"]) for t in tickets] == [
        (ack["ticket_id"], "alice@example.com")
    ]


async def test_bad_contact_is_rejected_and_no_ticket_is_stored(hub, clients, fake_rasa):
    customer, _ = await new_customer(clients, hub)
    ack = await customer.call("leave_contact", {"email": "not-an-email"})
    assert ack["error"]["code"] == "invalid_input"
    agent = await online_agent(clients, hub)
    assert (await agent.call("tickets"))["tickets"] == []


async def test_cancel_waiting_returns_to_the_bot(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    await agent.wait_for("offer")
    ack = await customer.call("cancel_handoff", {"session_id": confirm["session_id"]})
    assert ack == {"state": "bot"}
    await customer.wait_for("handoff_status", lambda d: d["state"] == "bot_resumed")
    snapshot = await agent.call("queue")
    assert snapshot["waiting"] == []


async def test_close_then_rate(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    early = await customer.call("rate", {"score": 5})
    assert early["error"]["code"] == "not_allowed"  # only after a close
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    closed = await agent.call(
        "close", {"conversation_id": offer["conversation_id"], "disposition": "resolved"}
    )
    assert closed == {"state": "closed"}
    await customer.wait_for("handoff_status", lambda d: d["state"] == "closed")
    assert await customer.call("rate", {"score": 4}) == {"ok": True}
    stats = hub.service.stats.stats()
    assert stats.csat_counts == {4: 1}


async def test_transfer_requeues_in_the_other_queue(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    moved = await agent.call(
        "transfer", {"conversation_id": offer["conversation_id"], "queue": "disputes"}
    )
    assert moved == {"state": "queued", "queue": "disputes"}
    status = await customer.wait_for(
        "handoff_status", lambda d: d["state"] == "queued" and d.get("reason") == "transfer"
    )
    assert status["queue"] == "disputes"


async def test_agent_disconnect_requeues_after_the_grace_period(hub_factory, clients, fake_rasa):
    hub = await hub_factory(grace_seconds=0.3)
    first = await online_agent(clients, hub, "ana")
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await first.wait_for("offer")
    await first.call("claim", {"conversation_id": offer["conversation_id"]})
    await first.disconnect()

    requeued = await customer.wait_for(
        "handoff_status", lambda d: d["state"] == "queued" and d.get("requeued") is True
    )
    assert requeued["position"] == 1
    conversation = hub.service.sessions.get_conversation(offer["conversation_id"])
    assert (conversation.state, conversation.owner_agent_id) == ("queued", None)

    second = await online_agent(clients, hub, "ben")
    again = await second.wait_for("offer")
    assert again["conversation_id"] == offer["conversation_id"]


async def test_agent_reconnecting_within_grace_keeps_the_conversation(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub, "ana")
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    await agent.disconnect()
    await asyncio.sleep(0.3)  # several sweeps run; the grace period (60 s) has not passed
    conversation = hub.service.sessions.get_conversation(offer["conversation_id"])
    assert conversation.state == "agent"

    # Back on a new connection: online again and receiving the conversation's messages.
    session = await login(hub, "ana")
    back = clients(hub.url, "/agent")
    await back.connect(auth={"token": session["token"]})
    await customer.call(
        "user_uttered", {"message": "still there?", "session_id": confirm["session_id"]}
    )
    relayed = await back.wait_for("message")
    assert relayed["text"] == "still there?"
    assert hub.service.presence.agent(conversation.owner_agent_id).presence == "online"


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("claim", {"conversation_id": "no-such-conversation"}),
        ("reply", {"conversation_id": "no-such-conversation", "text": "hi"}),
        ("hand_back", {"conversation_id": "no-such-conversation"}),
    ],
)
async def test_agent_events_on_unknown_conversations_are_errors(
    hub, clients, fake_rasa, event, payload
):
    agent = await online_agent(clients, hub)
    ack = await agent.call(event, payload)
    assert ack["error"]["code"] == "not_found"
    assert "no-such-conversation" not in ack["error"]["message"]


async def test_an_agent_cannot_reply_to_a_conversation_they_do_not_own(hub, clients, fake_rasa):
    owner = await online_agent(clients, hub, "ana")
    other = await online_agent(clients, hub, "ben")
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await owner.wait_for("offer")
    await owner.call("claim", {"conversation_id": offer["conversation_id"]})
    ack = await other.call("reply", {"conversation_id": offer["conversation_id"], "text": "hi"})
    assert ack["error"]["code"] == "not_allowed"
    assert not [e for e in customer.of("bot_uttered") if sender_of(e) == "agent"]


async def test_a_message_sent_while_the_bot_hands_off_goes_to_people_not_the_paused_bot(
    hub, clients, fake_rasa
):
    """Stored while the bot had the conversation, routed after the bot's turn handed it off.

    The second message is written with state ``bot`` but must be routed by the state after
    the first turn: to the agents, never to Rasa (whose conversation is paused by then).
    """
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    fake_rasa.mode, fake_rasa.hang_seconds = "timeout", 0.3  # the bot's turn takes a while
    sid = confirm["session_id"]
    await customer.call("user_uttered", {"message": "this is useless", "session_id": sid})
    await customer.call("user_uttered", {"message": "hello? anyone?", "session_id": sid})
    status = await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    assert status["reason"] == "frustration"

    offer = await agent.wait_for("offer")
    packet = await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    customer_lines = [m["text"] for m in packet["transcript"] if m["sender_type"] == "customer"]
    assert customer_lines == ["this is useless", "hello? anyone?"]
    assert [call["message"] for call in fake_rasa.webhook_calls] == ["this is useless"]


async def test_an_agent_reads_and_closes_a_ticket_and_every_console_drops_it(
    hub, clients, fake_rasa
):
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered", {"message": "I need a real person", "session_id": confirm["session_id"]}
    )
    await customer.wait_for("handoff_status", lambda d: d["state"] == "no_agents")
    ack = await customer.call("leave_contact", {"phone": "+44 20 7946 0000", "note": "evenings"})
    agent = await online_agent(clients, hub)
    supervisor = await online_agent(clients, hub, "sam", role="supervisor", queues=())

    ticket = await agent.call("ticket", {"ticket_id": ack["ticket_id"]})
    assert (ticket["kind"], ticket["phone"], ticket["status"]) == (
        "callback",
        "+442079460000",
        "open",
    )
    assert ticket["transcript"][0]["text"] == "I need a real person"

    mark = supervisor.mark()
    closed = await agent.call("close_ticket", {"ticket_id": ack["ticket_id"]})
    assert closed == {"ticket_id": ack["ticket_id"], "status": "closed"}
    await supervisor.wait_for("queue", lambda d: d["tickets"] == [], after=mark)
    assert (await agent.call("tickets"))["tickets"] == []
    again = await agent.call("close_ticket", {"ticket_id": ack["ticket_id"]})
    assert again["status"] == "closed"  # idempotent


@pytest.mark.parametrize("payload", [{}, {"ticket_id": "7"}, {"ticket_id": 0}, {"ticket_id": True}])
async def test_ticket_events_need_a_ticket_id(hub, clients, payload):
    agent = await online_agent(clients, hub)
    ack = await agent.call("close_ticket", payload)
    assert ack["error"]["code"] == "malformed"


async def test_an_unknown_ticket_is_not_found(hub, clients):
    agent = await online_agent(clients, hub)
    ack = await agent.call("ticket", {"ticket_id": 999})
    assert ack["error"]["code"] == "not_found"
