"""A hub restart loses nothing: reconnecting clients get what they missed, exactly once."""

from __future__ import annotations

from tests.hub.conftest import new_customer, online_agent


async def test_hub_restart_mid_conversation_replays_missed_messages_exactly_once(
    hub_factory, clients, fake_rasa
):
    first_hub = await hub_factory()
    agent = await online_agent(clients, first_hub)
    customer, confirm = await new_customer(clients, first_hub)
    sid = confirm["session_id"]
    await customer.call("user_uttered", {"message": "hello", "session_id": sid})
    seen = await customer.wait_for("bot_uttered")
    await customer.call("request_human", {"session_id": sid})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    joined = await customer.wait_for("handoff_status", lambda d: d["state"] == "agent_joined")
    last_seen = joined["message_id"]

    # The customer's connection drops; the agent keeps writing; then the hub restarts.
    await customer.disconnect()
    missed_ids = []
    for text in ("Hi, I'm Ana.", "I can see your order."):
        ack = await agent.call("reply", {"conversation_id": offer["conversation_id"], "text": text})
        missed_ids.append(ack["id"])
    await agent.disconnect()
    await first_hub.stop()

    second_hub = await hub_factory()  # same SQLite file, new process state, new port
    back, again = await new_customer(clients, second_hub, session={"session_id": sid})
    assert (again["session_id"], again["state"]) == (sid, "agent")
    result = await back.call("resume", {"session_id": sid, "last_seen_id": last_seen})
    assert result == {"replayed": 2, "state": "agent"}
    replayed = back.of("bot_uttered")
    assert [m["metadata"]["id"] for m in replayed] == missed_ids
    assert [m["metadata"]["text"] for m in replayed] == ["Hi, I'm Ana.", "I can see your order."]
    assert [m["text"] for m in replayed] == [
        "Ana from our team: Hi, I'm Ana.",
        "Ana from our team: I can see your order.",
    ]
    assert all(m["metadata"]["sender"] == {"type": "agent", "name": "Ana"} for m in replayed)

    # Resuming again from the newest id replays nothing (exactly once).
    result = await back.call("resume", {"session_id": sid, "last_seen_id": missed_ids[-1]})
    assert result == {"replayed": 0, "state": "agent"}
    assert [m["metadata"]["id"] for m in back.of("bot_uttered")] == missed_ids
    assert seen["metadata"]["id"] < last_seen


async def test_resume_from_the_start_replays_the_whole_conversation_in_order(
    hub, clients, fake_rasa
):
    customer, confirm = await new_customer(clients, hub)
    for text in ("one", "two"):
        mark = customer.mark()
        await customer.call("user_uttered", {"message": text, "session_id": confirm["session_id"]})
        await customer.wait_for("bot_uttered", after=mark)
    fresh, _ = await new_customer(
        clients,
        hub,
        session={"session_id": confirm["session_id"]},
    )
    await fresh.call("resume", {"session_id": confirm["session_id"], "last_seen_id": None})
    lines = [
        (name, data["text"])
        for name, data in fresh.events
        if name in {"user_uttered", "bot_uttered"}
    ]
    assert lines == [
        ("user_uttered", "one"),
        ("bot_uttered", "bot reply to: one"),
        ("user_uttered", "two"),
        ("bot_uttered", "bot reply to: two"),
    ]
