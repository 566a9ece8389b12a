"""Hub-only scenarios (hub environment): handoff delay, agent<->customer relay, idle scale.

None of these involve Rasa: the handoff is triggered by an explicit request, which the hub's
own guard recognises before the bot is asked, so the numbers are the hub's alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.load import TIMEOUT_S, Agent, BenchError, Customer, waiting_ids
from bench.stats import LatencySummary, percentile, summarize

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


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used (Linux ``/proc``), None when unreadable.

    Read before and after a scenario, it gives the hub's own CPU cost per message, which does
    not depend on how busy the load generator sharing the machine was.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            stat = handle.read()
    except OSError:
        return None
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@dataclass(frozen=True)
class Pacing:
    """How the paced relay drives each conversation (open loop: sends never wait for replies).

    Attributes:
        interval_s: Mean seconds between two messages of one conversation (agent and
            customer alternate), so ``conversations / interval_s`` messages/s in aggregate.
        jitter: Each gap is ``interval_s`` times a uniform factor in ``1 +- jitter``.
        messages: Messages per conversation (half from the agent, half from the customer).
        seed: Seeds every conversation's own random generator (start phase and gaps), so
            two runs send the same schedule.
    """

    interval_s: float = 1.0
    jitter: float = 0.5
    messages: int = 20
    seed: int = 6

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or not 0 <= self.jitter < 1 or self.messages < 1:
            raise ValueError("interval must be positive, jitter in [0, 1), messages >= 1")

    def schedule(self, index: int) -> list[float]:
        """Send times (seconds from the start) of conversation ``index``.

        The first message falls at a random phase within one interval, so the conversations
        do not all speak at once; the gaps then vary by the jitter.
        """
        rng = random.Random(self.seed * 1_000_003 + index)
        at = rng.uniform(0.0, self.interval_s)
        times = [at]
        for _ in range(self.messages - 1):
            at += self.interval_s * rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)
            times.append(at)
        return times


async def _agent_to_customer(conversation: Conversation, text: str) -> float:
    """Seconds from the agent's ``reply`` emit to the customer socket receiving it."""
    start = time.perf_counter()
    ack = await conversation.agent.call(
        "reply", {"conversation_id": conversation.conversation_id, "text": text}
    )
    arrived = await asyncio.wait_for(conversation.customer.wait_id(int(ack["id"])), TIMEOUT_S)
    return arrived - start


async def _customer_to_agent(conversation: Conversation, text: str) -> float:
    """Seconds from the customer's ``user_uttered`` emit to the agent socket receiving it."""
    start = time.perf_counter()
    message_id = await conversation.customer.say(conversation.session_id, text)
    arrived = await asyncio.wait_for(conversation.agent.wait_message(message_id), TIMEOUT_S)
    return arrived - start


RELAY_ERRORS = (asyncio.TimeoutError, BenchError, KeyError, TypeError, ValueError)


class LoopLag:
    """How late this process's event loop wakes from a short sleep, sampled in the background.

    The load generator shares the machine and its one event loop with 100 customer and the
    agent sockets; every latency it measures includes its own delay in noticing an arrival.
    Reporting that delay next to the relay's numbers shows how much of them is the client.
    """

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.period_s)
            self.samples.append(max(0.0, time.perf_counter() - start - self.period_s))

    def start(self) -> None:
        """Begin sampling (inside the running loop)."""
        self._task = asyncio.ensure_future(self._sample())

    async def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def summary(self) -> dict[str, float] | None:
        """p50/p99/max of the lag in ms; None without samples."""
        if not self.samples:
            return None
        return {
            "p50_ms": round(percentile(self.samples, 50) * 1000, 2),
            "p99_ms": round(percentile(self.samples, 99) * 1000, 2),
            "max_ms": round(max(self.samples) * 1000, 2),
        }


async def relay_paced(
    conversations: list[Conversation], pacing: Pacing, lag: LoopLag | None = None
) -> LatencySummary:
    """Latency of the relay at a realistic pace: every conversation on its own schedule.

    Each conversation alternates agent and customer messages at the times of
    :meth:`Pacing.schedule`, whether or not the previous message has arrived (open loop), so
    a slow hub shows up as latency instead of silently lowering the offered load. Latency
    runs from the sender's emit to the other side's socket receiving the message; msgs/s is
    what arrived over the run (about ``len(conversations) / interval_s`` when the hub keeps up).
    """
    latencies: list[float] = []
    errors = 0

    async def one(conversation: Conversation, turn: int) -> None:
        nonlocal errors
        try:
            if turn % 2 == 0:
                latency = await _agent_to_customer(conversation, f"agent message {turn}")
            else:
                latency = await _customer_to_agent(conversation, f"customer message {turn}")
        except RELAY_ERRORS:
            errors += 1
            return
        latencies.append(latency)

    async def converse(index: int, conversation: Conversation, start: float) -> None:
        sends: list[asyncio.Task[None]] = []
        for turn, at in enumerate(pacing.schedule(index)):
            delay = start + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sends.append(asyncio.create_task(one(conversation, turn)))
        await asyncio.gather(*sends)

    if lag is not None:
        lag.start()
    start = time.perf_counter()
    try:
        await asyncio.gather(
            *(
                converse(index, conversation, start)
                for index, conversation in enumerate(conversations)
            )
        )
    finally:
        if lag is not None:
            await lag.stop()
    return summarize(latencies, time.perf_counter() - start, errors)


async def relay_saturation(conversations: list[Conversation], rounds: int) -> LatencySummary:
    """Throughput: every conversation always has a message in flight (closed loop, no pause).

    The answer is the most messages/s one hub process relays. Its latencies are queueing
    (by Little's law, conversations in flight divided by msgs/s), not what a customer sees
    at a human pace; :func:`relay_paced` measures that.
    """
    latencies: list[float] = []
    errors = 0

    async def converse(conversation: Conversation) -> None:
        nonlocal errors
        for turn in range(rounds):
            try:
                latencies.append(await _agent_to_customer(conversation, f"agent burst {turn}"))
                latencies.append(await _customer_to_agent(conversation, f"customer burst {turn}"))
            except RELAY_ERRORS:
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
