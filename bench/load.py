"""Load generators (hub environment): Rasa REST senders, hub customers and agents.

Every loop here is bounded by a message count and a per-message timeout; all traffic goes to
services the bench started on 127.0.0.1. A message that times out or fails is counted as an
error and never enters the latency percentiles.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio

from bench.stats import LatencySummary, summarize

TIMEOUT_S = 30.0


@dataclass
class Samples:
    """Raw results of several runs of one target, summarised together at the end."""

    latencies_s: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    errors: int = 0

    def summary(self) -> LatencySummary:
        """Percentiles over every run; throughput over their summed wall-clock time."""
        return summarize(self.latencies_s, self.elapsed_s, self.errors)


async def closed_loop(
    concurrency: int,
    total: int,
    one: Callable[[int, int], Awaitable[float]],
    into: Samples | None = None,
) -> LatencySummary:
    """Run ``total`` requests from ``concurrency`` senders, each waiting for its answer.

    ``one(worker, n)`` performs request ``n`` and returns its latency in seconds (raising on
    failure). Senders take the next request number until ``total`` are done. With ``into``,
    the raw latencies, elapsed time and errors are also added there.
    """
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0

    async def sender(worker: int) -> None:
        nonlocal errors
        while (n := next(counter)) < total:
            try:
                latencies.append(await asyncio.wait_for(one(worker, n), TIMEOUT_S))
            except (
                asyncio.TimeoutError,
                aiohttp.ClientError,
                socketio.exceptions.SocketIOError,
                BenchError,
            ):
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(sender(worker) for worker in range(concurrency)))
    elapsed = time.perf_counter() - start
    if into is not None:
        into.latencies_s.extend(latencies)
        into.elapsed_s += elapsed
        into.errors += errors
    return summarize(latencies, elapsed, errors)


class BenchError(RuntimeError):
    """A request got an answer the bench cannot count as a reply."""


async def rasa_rest(
    url: str,
    messages: Sequence[str],
    concurrency: int,
    total: int,
    into: Samples | None = None,
) -> LatencySummary:
    """POST to Rasa's REST channel; every message opens a fresh conversation (new sender).

    Fresh senders keep the measurement about one routine question: repeating it inside one
    conversation would trip the handoff policy's repetition signals and change what is timed.
    """
    run = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(worker: int, n: int) -> float:
            body = {"sender": f"bench-{run}-{n}", "message": messages[n % len(messages)]}
            start = time.perf_counter()
            async with session.post(f"{url}/webhooks/rest/webhook", json=body) as response:
                replies = await response.json()
            elapsed = time.perf_counter() - start
            if response.status != 200 or not replies:
                raise BenchError(f"status {response.status}, {len(replies or [])} replies")
            return elapsed

        return await closed_loop(concurrency, total, one, into)


def hub_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A ``bot_uttered`` body with the hub's additions at the top level.

    The body has Rasa's shapes; the hub's ``id``, ``sender``, ``ts`` and ``handoff_status``
    are under ``metadata`` (``connectors.payloads.customer_payload``).
    """
    return {**body, **(body.get("metadata") or {})}


class Customer:
    """A hub customer socket that records ``bot_uttered`` arrivals with their times."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.utterances: list[tuple[float, dict[str, Any]]] = []
        # Arrival time by server message id: the relay waits on one id among thousands.
        self.arrivals: dict[int, float] = {}
        self._arrived = asyncio.Event()
        self.sio.on("bot_uttered", self._on_bot_uttered)

    async def _on_bot_uttered(self, data: Any) -> None:
        if isinstance(data, dict):
            arrived = time.perf_counter()
            data = hub_fields(data)
            self.utterances.append((arrived, data))
            if isinstance(data.get("id"), int):
                self.arrivals[data["id"]] = arrived
            self._arrived.set()

    async def connect(self) -> None:
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=TIMEOUT_S)

    async def new_session(self) -> str:
        """Start a fresh conversation on this socket (the hub moves it to the new room)."""
        confirm = await self.sio.call(
            "session_request", {"session_id": None, "last_seen_id": None}, timeout=TIMEOUT_S
        )
        if not isinstance(confirm, dict) or "session_id" not in confirm:
            raise BenchError("no session_confirm")
        return str(confirm["session_id"])

    async def say(self, session_id: str, text: str) -> int:
        """Send a message; the hub's message id (every reply to it has a larger id)."""
        ack = await self.sio.call(
            "user_uttered", {"message": text, "session_id": session_id}, timeout=TIMEOUT_S
        )
        if not isinstance(ack, dict) or not isinstance(ack.get("id"), int):
            raise BenchError(f"user_uttered refused: {ack}")
        return int(ack["id"])

    async def wait_reply(self, after_id: int, sender_type: str) -> float:
        """Arrival time of the first ``bot_uttered`` from ``sender_type`` newer than a message.

        Raises:
            BenchError: The hub answered with its own failure notice instead (a ``system``
                message that is not a handoff status: Rasa timed out or failed and the hub
                failed open). Counting it at once keeps a failure from also costing the
                sender ``TIMEOUT_S`` of idle waiting, which would drag msgs/s down.
        """
        while True:
            for arrived, data in self.utterances:
                sender = data.get("sender") or {}
                if int(data.get("id") or 0) <= after_id:
                    continue
                if sender.get("type") == sender_type:
                    return arrived
                if sender_type == "bot" and is_failure_notice(data):
                    raise BenchError(f"the hub answered with a failure notice: {data.get('text')}")
            self._arrived.clear()
            await self._arrived.wait()

    async def wait_id(self, message_id: int) -> float:
        """Arrival time of the ``bot_uttered`` with this server id."""
        while message_id not in self.arrivals:
            self._arrived.clear()
            await self._arrived.wait()
        return self.arrivals[message_id]

    async def disconnect(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


def is_failure_notice(data: dict[str, Any]) -> bool:
    """A hub ``system`` message that is not a handoff status (see ``hub/services/notices.py``)."""
    sender = data.get("sender") or {}
    return sender.get("type") == "system" and "handoff_status" not in data


async def hub_customers(
    url: str,
    messages: Sequence[str],
    concurrency: int,
    total: int,
    into: Samples | None = None,
) -> LatencySummary:
    """Customers on the hub socket: ``user_uttered`` sent to the bot's ``bot_uttered``.

    Each message is a fresh conversation, exactly like the REST runs, so the two are directly
    comparable; opening the session is not part of the timed span.
    """
    customers = [Customer(url) for _ in range(concurrency)]
    await asyncio.gather(*(customer.connect() for customer in customers))
    try:

        async def one(worker: int, n: int) -> float:
            customer = customers[worker]
            session_id = await customer.new_session()
            customer.utterances.clear()
            start = time.perf_counter()
            message_id = await customer.say(session_id, messages[n % len(messages)])
            return await customer.wait_reply(message_id, "bot") - start

        return await closed_loop(concurrency, total, one, into)
    finally:
        await asyncio.gather(*(customer.disconnect() for customer in customers))


class Agent:
    """An ``/agent`` socket that records queue pushes, offers and customer messages."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[float, str, Any]] = []
        self.messages: dict[int, float] = {}
        self._arrived = asyncio.Event()
        for event in ("queue", "offer", "message"):
            self.sio.on(event, self._recorder(event), namespace="/agent")

    def _recorder(self, event: str) -> Callable[[Any], Awaitable[None]]:
        async def record(data: Any) -> None:
            arrived = time.perf_counter()
            if event == "message" and isinstance(data, dict) and isinstance(data.get("id"), int):
                # Relayed customer messages are looked up by id: at 100 conversations a
                # scan of every event would cost the client more than the hub's relay.
                self.messages[data["id"]] = arrived
            else:
                self.events.append((arrived, event, data))
            self._arrived.set()

        return record

    async def wait_message(self, message_id: int) -> float:
        """Arrival time of the relayed customer message with this id."""
        while message_id not in self.messages:
            self._arrived.clear()
            await self._arrived.wait()
        return self.messages[message_id]

    async def connect(self) -> None:
        await self.sio.connect(
            self.url,
            namespaces=["/agent"],
            auth={"token": self.token},
            transports=["websocket"],
            wait_timeout=TIMEOUT_S,
        )
        await self.call("presence", {"status": "online"})

    async def call(self, event: str, data: Any = None) -> Any:
        ack = await self.sio.call(event, data, namespace="/agent", timeout=TIMEOUT_S)
        if isinstance(ack, dict) and "error" in ack:
            raise BenchError(f"{event} refused: {ack['error']}")
        return ack

    async def wait_for(self, match: Callable[[str, Any], bool], since: float) -> float:
        """Arrival time of the first recorded event at or after ``since`` that matches."""
        while True:
            for arrived, event, data in self.events:
                if arrived >= since and match(event, data):
                    return arrived
            self._arrived.clear()
            await self._arrived.wait()

    async def disconnect(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


def waiting_ids(event: str, data: Any) -> set[str]:
    """Conversation ids an agent event shows as waiting (a queue snapshot or an offer)."""
    if not isinstance(data, dict):
        return set()
    if event == "offer":
        conversation = data.get("conversation_id")
        return {str(conversation)} if conversation else set()
    if event == "queue":
        return {str(row.get("conversation_id")) for row in data.get("waiting") or []}
    return set()


async def login(base_url: str, username: str, password: str) -> str:
    """Agent session token from ``POST /api/agent/login``."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base_url}/api/agent/login", json={"username": username, "password": password}
        ) as response,
    ):
        body = await response.json()
        if response.status != 200 or "token" not in body:
            raise BenchError(f"agent login failed with {response.status}")
        return str(body["token"])
