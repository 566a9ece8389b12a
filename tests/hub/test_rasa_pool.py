"""Several Rasa servers (``RASA_URLS``): health checks, failover, order, and fail-open."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from connectors.metrics import HubMetrics
from connectors.rasa_client import RasaClient, RasaUnavailable
from connectors.rasa_pool import RasaInterrupted, RasaPool
from hub.services.sessions import session_ref
from tests.hub.conftest import new_customer, online_agent
from tests.hub.fake_rasa import AUTH_TOKEN, FakeRasa


class TimedRasa(FakeRasa):
    """A fake that records when each webhook request started and ended, per sender."""

    def __init__(self, name: str, delay: float) -> None:
        super().__init__()
        self.name = name
        self.delay = delay
        self.spans: list[tuple[str, str, float, float]] = []  # sender, text, start, end

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        started = time.monotonic()
        await asyncio.sleep(self.delay)
        self.spans.append((body["sender"], body["message"], started, time.monotonic()))
        reply = {"recipient_id": body["sender"], "text": f"re {body['message']}"}
        return web.json_response([reply])


def _pool(*fakes: FakeRasa, interval: float = 30.0) -> RasaPool:
    metrics = HubMetrics()
    clients = [(f.url, RasaClient(f.url, AUTH_TOKEN, 3.0, metrics)) for f in fakes]
    return RasaPool(clients, metrics, interval)


@pytest.fixture
async def two_fakes() -> AsyncIterator[tuple[FakeRasa, FakeRasa]]:
    first, second = FakeRasa(), FakeRasa()
    await first.start()
    await second.start()
    yield first, second
    await first.stop()
    await second.stop()


async def test_a_refused_server_is_skipped_and_comes_back_after_a_check(two_fakes):
    first, second = two_fakes
    pool = _pool(first, second)
    await pool.start()
    try:
        await first.stop()
        for index in range(4):  # whichever server is tried first, every message is answered
            replies = await pool.send_message(f"s{index}", f"hello {index}", {})
            assert replies[0].text == f"bot reply to: hello {index}"
        assert pool.healthy_urls() == [second.url]
        assert len(second.webhook_calls) == 4

        await first.start()  # same port again
        await pool.check_now()
        assert pool.healthy_urls() == [first.url, second.url]
        for index in range(4):
            await pool.send_message(f"t{index}", "again", {})
        assert first.webhook_calls, "a recovered server takes turns again"
    finally:
        await pool.close()


async def test_resume_and_trigger_fail_over_too(two_fakes):
    first, second = two_fakes
    pool = _pool(first, second)
    await pool.start()
    try:
        await second.stop()
        await first.stop()
        await first.start()
        await pool.resume("conv-1")
        replies = await pool.trigger_intent("conv-1", "EXTERNAL_handback")
        assert replies[0].text == "I'm back. What else can I help with?"
        assert [call[0] for call in first.api_calls] == ["events", "trigger"]
    finally:
        await pool.close()


async def test_every_server_down_raises_unavailable_after_trying_them_all(two_fakes):
    first, second = two_fakes
    pool = _pool(first, second)
    await pool.start()
    try:
        await first.stop()
        await second.stop()
        with pytest.raises(RasaUnavailable):
            await pool.send_message("s", "anyone?", {})
        assert pool.healthy_urls() == []
        assert await pool.health() is False
        with pytest.raises(RasaUnavailable):  # still tried, though both look down
            await pool.send_message("s", "still nobody?", {})
    finally:
        await pool.close()


async def test_a_server_dying_mid_answer_is_not_sent_the_message_twice(two_fakes):
    _first, second = two_fakes

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # the request reached it ...
        writer.close()  # ... and it died before answering

    dying = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    dying_url = f"http://127.0.0.1:{dying.sockets[0].getsockname()[1]}"
    metrics = HubMetrics()
    pool = RasaPool(
        [
            (dying_url, RasaClient(dying_url, AUTH_TOKEN, 3.0, metrics)),
            (second.url, RasaClient(second.url, AUTH_TOKEN, 3.0, metrics)),
        ],
        metrics,
        30.0,
    )
    await pool.start()
    try:
        outcomes: list[str] = []
        for index in range(2):  # one of the two goes to the dying server first
            try:
                await pool.send_message("s", f"m{index}", {})
                outcomes.append("answered")
            except RasaInterrupted:
                outcomes.append("interrupted")
        assert "interrupted" in outcomes
        # The interrupted message never reached the healthy server behind the customer's back.
        assert len(second.webhook_calls) == outcomes.count("answered")
        assert pool.healthy_urls() == [second.url]
    finally:
        await pool.close()
        dying.close()


async def test_hub_serialises_a_conversations_turns_across_two_servers(hub_factory, clients):
    """The order guarantee behind several Rasa servers (Rasa's Redis lock is not atomic
    across instances, RasaHQ/rasa#9213): one conversation's turns never overlap, and reach
    Rasa in the order they were sent, whichever server takes each."""
    first, second = TimedRasa("a", 0.15), TimedRasa("b", 0.15)
    await first.start()
    await second.start()
    try:
        hub = await hub_factory(rasa_urls=(first.url, second.url), rasa_timeout_seconds=5.0)
        talkers = [await new_customer(clients, hub) for _ in range(3)]
        for index in range(6):
            for customer, confirm in talkers:
                await customer.call(
                    "user_uttered", {"message": f"m{index}", "session_id": confirm["session_id"]}
                )
        for customer, _confirm in talkers:
            await customer.wait_for("bot_uttered", lambda d: d.get("text") == "re m5", timeout=30.0)
        spans = sorted(first.spans + second.spans, key=lambda s: s[2])
        assert first.spans, "both servers took turns"
        assert second.spans, "both servers took turns"
        for _customer, confirm in talkers:
            mine = [s for s in spans if s[0] == session_ref(confirm["session_id"])]
            assert [s[1] for s in mine] == [f"m{i}" for i in range(6)]
            for earlier, later in itertools.pairwise(mine):
                assert earlier[3] <= later[2], "two turns of one conversation overlapped"
        # Different conversations do run at once (the lock is per conversation).
        assert any(a[3] > b[2] and a[0] != b[0] for a, b in itertools.pairwise(spans))
    finally:
        await first.stop()
        await second.stop()


async def test_all_servers_down_fails_open_to_a_person(hub_factory, clients, two_fakes):
    first, second = two_fakes
    hub = await hub_factory(rasa_urls=(first.url, second.url))
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await first.stop()
    await second.stop()
    await customer.call("user_uttered", {"message": "hello?", "session_id": confirm["session_id"]})
    status = await customer.wait_for("handoff_status")
    assert (status["state"], status["reason"]) == ("queued", "bot_failure")
    offer: dict[str, Any] = await agent.wait_for("offer")
    packet = await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    assert [m["text"] for m in packet["transcript"] if m["sender_type"] == "customer"] == ["hello?"]
