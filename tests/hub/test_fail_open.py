"""Fail-open: when the bot is down, slow or broken, the customer reaches a person."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.metrics import HubMetrics
from connectors.rasa_client import RasaBusy, RasaClient
from hub.services.sessions import session_ref
from tests.hub.clients import RecordingClient, sender_of
from tests.hub.conftest import new_customer, online_agent


async def _say(customer: RecordingClient, confirm: dict[str, Any], text: str) -> Any:
    return await customer.call(
        "user_uttered", {"message": text, "session_id": confirm["session_id"]}
    )


async def test_rasa_killed_mid_conversation_queues_the_customer_with_bot_failure(
    hub, clients, fake_rasa
):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await _say(customer, confirm, "where is my order")
    await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "bot")

    await fake_rasa.stop()  # connection refused from now on: hand off at once
    await _say(customer, confirm, "and my refund?")
    notice = await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "system")
    assert "technical trouble" in notice["text"]
    status = await customer.wait_for("handoff_status")
    assert (status["state"], status["reason"]) == ("queued", "bot_failure")

    offer = await agent.wait_for("offer")
    packet = await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    assert packet["conversation"]["reason"] == "bot_failure"
    customer_lines = [m["text"] for m in packet["transcript"] if m["sender_type"] == "customer"]
    assert customer_lines == ["where is my order", "and my refund?"]


@pytest.mark.parametrize("mode", ["error", "timeout", "empty"])
async def test_repeated_bot_failures_hand_off_after_the_threshold(hub, clients, fake_rasa, mode):
    await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    fake_rasa.mode = mode

    await _say(customer, confirm, "first try")
    retry = await customer.wait_for("bot_uttered", timeout=3)
    assert sender_of(retry) == "system"
    assert "send it again" in retry["text"]
    assert customer.of("handoff_status") == []

    mark = customer.mark()
    await _say(customer, confirm, "second try")
    status = await customer.wait_for("handoff_status", after=mark, timeout=3)
    assert (status["state"], status["reason"]) == ("queued", "bot_failure")


async def test_a_success_resets_the_failure_streak(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    fake_rasa.mode = "error"
    await _say(customer, confirm, "one")
    await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "system")
    fake_rasa.mode = "ok"
    await _say(customer, confirm, "two")
    await customer.wait_for("bot_uttered", lambda d: d.get("text") == "bot reply to: two")
    fake_rasa.mode = "error"
    mark = customer.mark()
    await _say(customer, confirm, "three")
    retry = await customer.wait_for("bot_uttered", after=mark)
    assert "send it again" in retry["text"]
    assert customer.of("handoff_status") == []


async def test_hand_back_with_rasa_down_goes_back_to_a_person(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer")
    await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    await fake_rasa.stop()
    mark = customer.mark()
    await agent.call("hand_back", {"conversation_id": offer["conversation_id"]})
    status = await customer.wait_for("handoff_status", lambda d: d["state"] == "queued", after=mark)
    assert status["reason"] == "bot_failure"
    assert hub.service.sessions.get_conversation(offer["conversation_id"]).state == "queued"


async def test_no_agent_and_bot_handoff_unpauses_the_bot(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    await _say(customer, confirm, "this is useless")
    status = await customer.wait_for("handoff_status")
    assert status["state"] == "no_agents"
    # The bot paused itself in Rasa; with nobody to take over it is resumed so it keeps helping.
    assert [call[:3] for call in fake_rasa.api_calls] == [
        ("events", session_ref(confirm["session_id"]), [{"event": "resume"}])
    ]


async def test_a_burst_waits_its_turn_for_rasa_instead_of_failing(hub_factory, clients, fake_rasa):
    """More customers at once than slots towards Rasa: every one answered by the bot, in turn.

    Without the limit all six would be at Rasa together (peak 6); each waits in the hub for a
    slot instead, and its timeout only covers Rasa's own answer.
    """
    hub = await hub_factory(rasa_max_concurrency=2, rasa_timeout_seconds=3.0)
    fake_rasa.mode, fake_rasa.hang_seconds = "timeout", 0.3  # slow but answering
    customers = [await new_customer(clients, hub) for _ in range(6)]
    for index, (customer, confirm) in enumerate(customers):
        await _say(customer, confirm, f"question {index}")
    for index, (customer, _confirm) in enumerate(customers):
        reply = await customer.wait_for(
            "bot_uttered", lambda d: sender_of(d) != "customer", timeout=10.0
        )
        assert (sender_of(reply), reply["text"]) == (
            "bot",
            f"bot reply to: question {index}",
        )
    assert fake_rasa.peak_in_flight == 2


async def test_no_free_slot_within_the_queue_timeout_counts_as_busy(fake_rasa):
    """A request that cannot get a slot in time fails as ``busy``, never reaching Rasa."""
    fake_rasa.mode, fake_rasa.hang_seconds = "timeout", 0.5
    client = RasaClient(
        fake_rasa.url,
        None,
        timeout_seconds=3.0,
        metrics=HubMetrics(),
        max_concurrency=1,
        queue_timeout_seconds=0.1,
    )
    await client.start()
    try:
        first = asyncio.ensure_future(client.send_message("a", "first", {}))
        await asyncio.sleep(0.05)  # the first one holds the only slot
        with pytest.raises(RasaBusy):
            await client.send_message("b", "second", {})
        assert [call["message"] for call in fake_rasa.webhook_calls] == ["first"]
        assert (await first)[0].text == "bot reply to: first"
    finally:
        await client.close()
