"""Hub-only scenarios (hub environment): handoff delay, agent<->customer relay, idle scale.

None of these involve Rasa: the handoff is triggered by an explicit request, which the hub's
own guard recognises before the bot is asked, so the numbers are the hub's alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.load import TIMEOUT_S, Agent, BenchError, Customer, waiting_ids
from bench.stats import LatencySummary, summarize

HANDOFF_TEXT = "I want to talk to a human"


@dataclass
class Conversation:
    """A customer in a conversation an agent has claimed."""

    customer: Customer
    session_id: str
    conversation_id: str
    agent: Agent


async def _hand_off(customer: Customer, observer: Agent) -> tuple[str, str, float]:
    """Ask for a person; (session id, conversation id, seconds until the agent saw it)."""
    session_id = await customer.new_session()
    known: set[str] = set()
    for _arrived, event, data in observer.events:
        known |= waiting_ids(event, data)
    start = time.perf_counter()
    await customer.say(session_id, HANDOFF_TEXT)
    found: list[str] = []

    def is_new(event: str, data: Any) -> bool:
        new = waiting_ids(event, data) - known
        found.extend(new)
        return bool(new)

    arrived = await asyncio.wait_for(observer.wait_for(is_new, start), TIMEOUT_S)
    return session_id, found[0], arrived - start


async def handoffs_and_claims(
    url: str, agents: list[Agent], capacity: int, conversations: int
) -> tuple[LatencySummary, list[Conversation]]:
    """Hand ``conversations`` customers off one at a time; each is claimed at once.

    The handoff delay is from the customer's message to the first agent socket event (queue
    push or offer) that shows the conversation waiting. Claiming right away keeps the queue
    as short as in a staffed contact centre, and leaves the conversations ready for the relay.
    """
    observer = agents[0]
    delays: list[float] = []
    ready: list[Conversation] = []
    errors = 0
    start = time.perf_counter()
    for index in range(conversations):
        customer = Customer(url)
        await customer.connect()
        try:
            session_id, conversation_id, delay = await _hand_off(customer, observer)
        except (asyncio.TimeoutError, BenchError):
            errors += 1
            await customer.disconnect()
            continue
        delays.append(delay)
        agent = agents[min(index // capacity, len(agents) - 1)]
        await agent.call("claim", {"conversation_id": conversation_id})
        ready.append(Conversation(customer, session_id, conversation_id, agent))
    return summarize(delays, time.perf_counter() - start, errors), ready


async def relay(conversations: list[Conversation], rounds: int) -> LatencySummary:
    """All conversations at once: agent -> customer, then customer -> agent, ``rounds`` times.

    Latency runs from the sender's emit to the other side's socket receiving the message.
    """
    latencies: list[float] = []
    errors = 0

    async def converse(conversation: Conversation) -> None:
        nonlocal errors
        for turn in range(rounds):
            try:
                start = time.perf_counter()
                ack = await conversation.agent.call(
                    "reply",
                    {
                        "conversation_id": conversation.conversation_id,
                        "text": f"agent message {turn}",
                    },
                )
                arrived = await asyncio.wait_for(
                    conversation.customer.wait_reply(int(ack["id"]) - 1, "agent"), TIMEOUT_S
                )
                latencies.append(arrived - start)
                start = time.perf_counter()
                message_id = await conversation.customer.say(
                    conversation.session_id, f"customer message {turn}"
                )
                arrived = await asyncio.wait_for(
                    conversation.agent.wait_message(message_id), TIMEOUT_S
                )
                latencies.append(arrived - start)
            except (asyncio.TimeoutError, BenchError, KeyError, TypeError):
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(converse(conversation) for conversation in conversations))
    return summarize(latencies, time.perf_counter() - start, errors)


# ---------------------------------------------------------------------------------------------
# Idle connections: a minimal Engine.IO 4 / Socket.IO 5 websocket client per customer, since
# thousands of full AsyncClients would measure the client's memory rather than the hub's.


async def _idle_customer(
    session: aiohttp.ClientSession, ws_url: str, opened: asyncio.Event, stop: asyncio.Event
) -> bool:
    """Connect, open a session like the widget does, then answer pings until told to stop."""
    async with session.ws_connect(ws_url, autoping=True) as ws:
        first = await ws.receive_str(timeout=TIMEOUT_S)
        if not first.startswith("0"):
            raise BenchError("no Engine.IO open packet")
        await ws.send_str("40")
        connected = await ws.receive_str(timeout=TIMEOUT_S)
        if not connected.startswith("40"):
            raise BenchError("namespace connect refused")
        await ws.send_str("420" + json.dumps(["session_request", {"session_id": None}]))
        while not (await ws.receive_str(timeout=TIMEOUT_S)).startswith("430"):
            continue
        opened.set()
        while not stop.is_set():
            try:
                frame = await ws.receive_str(timeout=1.0)
            except asyncio.TimeoutError:
                continue
            if frame == "2":  # Engine.IO ping from the server
                await ws.send_str("3")
        return not ws.closed


async def idle_connections(
    base_url: str, count: int, batch: int, hold_s: float, rss: Any
) -> dict[str, Any]:
    """Open ``count`` idle customer connections, hold them ``hold_s`` seconds, read the RSS.

    ``rss()`` returns the hub's resident memory in MiB. Holding longer than the Engine.IO
    ping interval (25 s) shows the connections are really kept alive, not just accepted.
    """
    ws_url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    stop = asyncio.Event()
    before = rss()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks: list[asyncio.Task[bool]] = []
        start = time.perf_counter()
        for offset in range(0, count, batch):
            events = [asyncio.Event() for _ in range(min(batch, count - offset))]
            tasks.extend(
                asyncio.create_task(_idle_customer(session, ws_url, event, stop))
                for event in events
            )
            waits = [asyncio.create_task(event.wait()) for event in events]
            await asyncio.wait(waits, timeout=TIMEOUT_S)
            for wait in waits:
                wait.cancel()
        connect_s = time.perf_counter() - start
        opened = sum(1 for task in tasks if not task.done())
        await asyncio.sleep(hold_s)
        during = rss()
        alive = sum(1 for task in tasks if not task.done())
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "requested": count,
        "opened": opened,
        "alive_after_hold": alive,
        "held_seconds": hold_s,
        "connect_seconds": round(connect_s, 1),
        "failed": sum(1 for result in results if result is not True),
        "hub_rss_mib_before": before,
        "hub_rss_mib_with_connections": during,
        "rss_kib_per_connection": (
            round((during - before) * 1024 / opened, 1) if during and before and opened else None
        ),
    }
