"""One surge customer: a widget-like socket that writes, waits, and records what came back.

Each message gets exactly one outcome, decided from what the hub pushes after its
acknowledgement (every answer to a message has a larger server id):

- ``reply``: a ``bot`` message; latency is from sending to its arrival;
- ``error``: the acknowledgement refused the message, an ``error`` event, the socket dropped,
  or the hub sent its failure notice (a
  ``system`` message that is not a status, e.g. "Sorry, I couldn't process that"; the notice
  that a person is being brought in is followed by the handoff and counted as that);
- ``handoff``: a handoff status (``queued`` with its reason, or ``no_agents``); the customer
  then stops writing, as its next words would go to a person;
- ``lost``: none of these within the outcome timeout while the socket stayed connected (a
  dropped socket, e.g. a ping timeout on a starved machine, is an ``error``, ``disconnected``).

A ``bot_busy`` status ("one moment") is counted and waited through. After a reply the
customer waits for the turn's remaining messages to settle before writing again, so they are
not taken for the next message's answer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import socketio

from bench.load import hub_fields
from bench.stats import percentile
from hub.domain.texts import BOT_FAILURE_TEXT

CONNECT_TIMEOUT_S = 60.0
SETTLE_S = 0.3
SETTLE_MAX_S = 5.0
HANDOFF_STATES = ("queued", "no_agents")


@dataclass
class Outcome:
    """What one message got."""

    kind: str  # reply | error | handoff | lost
    detail: str | None = None
    latency_s: float | None = None


@dataclass
class SurgeCustomer:
    """A customer socket for the surge; ``outcomes`` holds one entry per message sent."""

    base: str
    index: int
    outcomes: list[Outcome] = field(default_factory=list)
    busy_notices: int = 0
    duplicated: int = 0
    failed_to_start: str | None = None

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.session_id: str | None = None
        self._events: list[tuple[float, str, dict[str, Any]]] = []
        self._seen: set[int] = set()
        self._arrived = asyncio.Event()
        self.sio.on("bot_uttered", self._recorder("bot_uttered"))
        self.sio.on("handoff_status", self._recorder("handoff_status"))
        self.sio.on("error", self._recorder("error"))
        self.sio.on("disconnect", self._on_disconnect)

    async def _on_disconnect(self, *_args: Any) -> None:
        self._events.append((time.perf_counter(), "disconnect", {}))
        self._arrived.set()

    def _recorder(self, event: str) -> Any:
        async def record(data: Any) -> None:
            if not isinstance(data, dict):
                return
            if event == "bot_uttered":
                data = hub_fields(data)
                if isinstance(data.get("id"), int):
                    if data["id"] in self._seen:
                        self.duplicated += 1
                        return
                    self._seen.add(data["id"])
            self._events.append((time.perf_counter(), event, data))
            self._arrived.set()

        return record

    async def open(self) -> None:
        """Connect and start a conversation; a failure is recorded, not raised."""
        try:
            await self.sio.connect(
                self.base, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT_S
            )
            confirm = await self.sio.call(
                "session_request", {"session_id": None}, timeout=CONNECT_TIMEOUT_S
            )
            if not isinstance(confirm, dict) or "session_id" not in confirm:
                raise RuntimeError(f"no session: {confirm}")
            self.session_id = str(confirm["session_id"])
        except (socketio.exceptions.SocketIOError, RuntimeError, OSError) as exc:
            self.failed_to_start = type(exc).__name__

    async def converse(self, texts: Sequence[str], outcome_timeout: float) -> None:
        """Write each text in turn, waiting for its outcome; stop after a handoff or a drop."""
        if self.session_id is None:
            return
        for text in texts:
            outcome = await self._one(text, outcome_timeout)
            self.outcomes.append(outcome)
            if outcome.kind == "handoff" or outcome.detail == "disconnected":
                return
            if outcome.kind == "reply":
                await self._settle()

    async def _one(self, text: str, outcome_timeout: float) -> Outcome:
        if not self.sio.connected:
            return Outcome("error", "disconnected")
        sent = time.perf_counter()
        cursor = len(self._events)
        try:
            ack = await self.sio.call(
                "user_uttered",
                {"message": text, "session_id": self.session_id, "client_msg_id": uuid.uuid4().hex},
                timeout=outcome_timeout,
            )
        except socketio.exceptions.SocketIOError as exc:
            return Outcome("error", f"ack:{type(exc).__name__}")
        if not isinstance(ack, dict) or not isinstance(ack.get("id"), int):
            code = ack.get("error") if isinstance(ack, dict) else None
            return Outcome("error", f"refused:{code}")
        after = int(ack["id"])
        deadline = sent + outcome_timeout
        while True:
            while cursor < len(self._events):
                arrived, event, data = self._events[cursor]
                cursor += 1
                found = self._classify(event, data, after, arrived - sent)
                if found is not None:
                    return found
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return Outcome("lost")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                return Outcome("lost")

    def _classify(
        self, event: str, data: dict[str, Any], after: int, latency_s: float
    ) -> Outcome | None:
        if event == "disconnect":
            return Outcome("error", "disconnected")
        if event == "error":
            return Outcome("error", f"event:{data.get('code')}")
        if event == "handoff_status":
            state = data.get("state")
            if data.get("current") or state not in HANDOFF_STATES:
                return None
            if int(data.get("message_id") or 0) <= after:
                return None
            reason = data.get("reason") if state == "queued" else "no_agents"
            return Outcome("handoff", str(reason))
        message_id = int(data.get("id") or 0)
        if message_id <= after:
            return None
        sender = (data.get("sender") or {}).get("type")
        if sender == "bot":
            return Outcome("reply", latency_s=latency_s)
        if sender == "system":
            status = data.get("handoff_status")
            if status is None and data.get("text") == BOT_FAILURE_TEXT:
                return None  # "bringing in a person": the handoff status follows
            if status is None:
                return Outcome("error", "failure_notice")
            if status == "bot_busy":
                self.busy_notices += 1
        return None

    async def _settle(self) -> None:
        """Wait until nothing has arrived for ``SETTLE_S`` (at most ``SETTLE_MAX_S``)."""
        start = time.perf_counter()
        while time.perf_counter() - start < SETTLE_MAX_S:
            last = self._events[-1][0] if self._events else start
            quiet = time.perf_counter() - last
            if quiet >= SETTLE_S:
                return
            await asyncio.sleep(SETTLE_S - quiet)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


def tally(customers: Sequence[SurgeCustomer]) -> dict[str, Any]:
    """Counts over every customer's outcomes, with reply latency percentiles in ms."""
    kinds: Counter[str] = Counter()
    handoffs: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for customer in customers:
        for outcome in customer.outcomes:
            kinds[outcome.kind] += 1
            if outcome.kind == "handoff":
                handoffs[outcome.detail or "unknown"] += 1
            elif outcome.kind == "error":
                errors[outcome.detail or "unknown"] += 1
            elif outcome.kind == "reply" and outcome.latency_s is not None:
                latencies.append(outcome.latency_s)
    latency = (
        {f"p{pct}_ms": round(percentile(latencies, pct) * 1000, 1) for pct in (50, 95, 99)}
        | {"max_ms": round(max(latencies) * 1000, 1)}
        if latencies
        else None
    )
    return {
        "customers_started": sum(1 for c in customers if c.session_id is not None),
        "customers_failed_to_start": sum(1 for c in customers if c.failed_to_start),
        "messages_sent": sum(kinds.values()),
        "replies": kinds["reply"],
        "errors": kinds["error"],
        "errors_by_kind": dict(errors),
        "lost": kinds["lost"],
        "duplicated": sum(c.duplicated for c in customers),
        "handoffs": kinds["handoff"],
        "handoffs_by_reason": dict(handoffs),
        "customers_with_busy_notice": sum(1 for c in customers if c.busy_notices),
        "reply_latency": latency,
    }
