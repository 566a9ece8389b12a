"""The hub's HTTP client for the Rasa server (the :class:`hub.services.ports.Bot` port).

Messages go through Rasa's REST channel (``POST /webhooks/rest/webhook``), which returns the
bot's replies in the response body; hand-back uses the HTTP API (``--enable-api``,
``?token=RASA_AUTH_TOKEN``). Every failure is raised as a ``RasaError`` (a ``BotError``) so the
bot turn can fail open, and the client counts consecutive failures across the process.

At most ``max_concurrency`` requests are at Rasa at once; the rest wait in a fair line here
(:class:`connectors.rasa_gate.FifoGate`), and a request's timer starts only once it is sent,
so it measures Rasa's answer and never the line (docs/hub-internals.md, "Overload is not
failure"). With ``failure_threshold`` the client also keeps a circuit: after that many
consecutive failures of requests that reached Rasa, a single request probes it now and then
and the others fail at once (``circuit_open``) instead of each waiting out its own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp

from connectors.metrics import HubMetrics
from connectors.rasa_gate import FifoGate
from hub.logging import log_event
from hub.services.ports import BotBusy, BotError, BotReply, BotUnavailable

logger = logging.getLogger(__name__)


class RasaError(BotError):
    """Rasa did not give a usable answer; ``kind`` labels the failure for metrics."""

    kind = "error"


class RasaUnavailable(RasaError, BotUnavailable):
    """Rasa could not be reached at all (connection refused, DNS, reset)."""

    kind = "unavailable"


class RasaTimeout(RasaError):
    """Rasa did not answer within the configured timeout."""

    kind = "timeout"


class RasaBusy(RasaError, BotBusy):
    """No slot towards Rasa became free within the queue timeout (the hub is overloaded).

    Only raised when ``queue_timeout_seconds`` is set; it says nothing about Rasa's health.
    """

    kind = "busy"


class RasaCircuitOpen(RasaError, BotUnavailable):
    """Rasa is failing (the failure streak reached the threshold) and a probe is under way."""

    kind = "circuit_open"


class RasaBadResponse(RasaError):
    """Rasa answered with an error status or a body we cannot use."""

    kind = "bad_response"


def bot_reply(message: Mapping[str, Any]) -> BotReply:
    """One REST-channel message in the fields Rasa's socket.io channel sends.

    Mirrors ``rasa.core.channels.socketio.SocketIOOutput``: buttons become ``quick_replies``
    (``content_type: text``) and images an ``image`` attachment; the original ``buttons`` are
    kept too for clients that read them. A custom payload goes under ``custom``; its ``data``
    object (Rasa's socket channel emits that as the event body) is also placed at the top
    level. A custom payload with a ``handoff`` object is the bot's handoff request.
    """
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
        return BotReply(handoff=custom["handoff"])
    fields: dict[str, Any] = {}
    buttons = message.get("buttons")
    if isinstance(buttons, list) and buttons:
        fields["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
            if isinstance(b, dict)
        ]
        fields["buttons"] = buttons
    image = message.get("image")
    if isinstance(image, str):
        fields["attachment"] = {"type": "image", "payload": {"src": image}}
    attachment = message.get("attachment")
    if attachment is not None:
        fields["attachment"] = attachment
    if isinstance(custom, dict):
        data = custom.get("data")
        if isinstance(data, dict):
            fields.update({k: v for k, v in data.items() if k not in {"id", "sender", "ts"}})
        fields["custom"] = custom
    text = fields.pop("text", message.get("text"))
    return BotReply(text=text if isinstance(text, str) else None, fields=fields)


class RasaClient:
    """Talks to one Rasa server over HTTP with one pooled aiohttp session."""

    def __init__(
        self,
        base_url: str,
        auth_token: str | None,
        timeout_seconds: float,
        metrics: HubMetrics,
        max_concurrency: int = 8,
        queue_timeout_seconds: float | None = None,
        failure_threshold: int | None = None,
        probe_interval_seconds: float = 1.0,
    ) -> None:
        """Configure the client; the HTTP session is opened by ``start``.

        Args:
            base_url: Rasa's base URL.
            auth_token: Token of Rasa's HTTP API (hand-back), if any.
            timeout_seconds: Limit on one answer from Rasa, from the moment it is sent.
            metrics: Where failures and latencies are counted.
            max_concurrency: Requests at Rasa at once; more wait in line, oldest first.
            queue_timeout_seconds: Limit on the wait in line (``RasaBusy`` beyond); None
                waits as long as it takes (the hub bounds the line by its length instead).
            failure_threshold: Consecutive failures after which Rasa counts as failing and
                the circuit opens; None keeps no circuit.
            probe_interval_seconds: With the circuit open, a probe goes to Rasa at most this
                often after the last failure (and one at a time); the rest fail at once.
        """
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._auth_token = auth_token
        self._max_concurrency = max_concurrency
        self._queue_timeout = queue_timeout_seconds
        self._failure_threshold = failure_threshold
        self._gate = FifoGate(max_concurrency)
        self._probing = False
        # Consecutive failures of requests that reached Rasa (the circuit's own count, kept
        # here because the caller's ``record_*`` comes only after the slot is given back).
        self._health_failures = 0
        self._last_failure_at = 0.0
        self._probe_interval = probe_interval_seconds
        # One limit on the whole answer, timed from the moment of sending by aiohttp's own
        # timer on each request (no task per request, as ``asyncio.wait_for`` would make).
        # The pool never makes a request wait (the gate does), so the limit starts on send.
        self._answer_limit = aiohttp.ClientTimeout(
            total=timeout_seconds, sock_connect=timeout_seconds, sock_read=timeout_seconds
        )
        self._metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        # Health checks use their own connection, so a full pool never fails ``/health``.
        self._health_session: aiohttp.ClientSession | None = None
        self.consecutive_failures = 0

    async def start(self) -> None:
        """Open the connection pool (on app start-up, inside the running loop)."""
        if self._session is None:
            # One more connection than slots: a request let through the gate never waits here.
            connector = aiohttp.TCPConnector(
                limit=self._max_concurrency + 1, limit_per_host=self._max_concurrency + 1
            )
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._answer_limit)
            self._health_session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=1),
                timeout=aiohttp.ClientTimeout(total=2),
            )

    async def close(self) -> None:
        """Close the connection pool (on app clean-up)."""
        for session in (self._session, self._health_session):
            if session is not None:
                await session.close()
        self._session = self._health_session = None

    @property
    def failing(self) -> bool:
        """Whether the failure streak has reached the threshold (the circuit is open)."""
        threshold = self._failure_threshold
        return threshold is not None and self._health_failures >= threshold

    @contextlib.asynccontextmanager
    async def _slot(self, endpoint: str) -> AsyncIterator[None]:
        """Wait in line for a slot; with the circuit open, only one probe at a time passes."""
        if self._queue_timeout is None:
            await self._gate.acquire()
        else:
            try:
                await asyncio.wait_for(self._gate.acquire(), self._queue_timeout)
            except asyncio.TimeoutError as exc:
                raise RasaBusy(f"no slot towards Rasa for {endpoint} in time") from exc
        probe = False
        try:
            if self.failing:
                since = time.monotonic() - self._last_failure_at
                if self._probing or since < self._probe_interval:
                    raise RasaCircuitOpen(f"Rasa is failing; {endpoint} not sent")
                self._probing = probe = True
            try:
                yield
            except RasaError:
                # Counted before the slot is released, so the next in line already knows.
                self._health_failures += 1
                self._last_failure_at = time.monotonic()
                raise
            self._health_failures = 0
        finally:
            if probe:
                self._probing = False
            self._gate.release()

    def record_success(self) -> None:
        """Reset the failure streak: the bot answered."""
        self.consecutive_failures = 0

    def record_failure(self, error: BotError) -> int:
        """Count a failure and return the current streak length."""
        self.consecutive_failures += 1
        self._metrics.rasa_failures.labels(kind=error.kind).inc()
        return self.consecutive_failures

    async def _request(
        self,
        endpoint: str,
        path: str,
        body: Any,
        *,
        api: bool,
        check: Callable[[Any], Any] | None = None,
    ) -> Any:
        """POST and return the JSON body (``check``ed inside the slot, so its verdict counts)."""
        if self._session is None:
            raise RasaUnavailable("The Rasa client is not started.")
        async with self._slot(endpoint):
            started = time.perf_counter()
            try:
                # The timer starts here, once the request leaves the line.
                payload = await self._post(self._session, endpoint, path, body, api=api)
            except asyncio.TimeoutError as exc:
                raise RasaTimeout(f"Rasa did not answer {endpoint} in time") from exc
            except aiohttp.ClientConnectionError as exc:
                # Includes connection refused and a server dying mid-response.
                raise RasaUnavailable(
                    f"Rasa is unreachable on {endpoint}: {type(exc).__name__}"
                ) from exc
            except aiohttp.ClientError as exc:
                raise RasaBadResponse(
                    f"Rasa request failed on {endpoint}: {type(exc).__name__}"
                ) from exc
            if check is not None:
                payload = check(payload)
        self._metrics.rasa_latency_seconds.labels(endpoint=endpoint).observe(
            time.perf_counter() - started
        )
        return payload

    async def _post(
        self, session: aiohttp.ClientSession, endpoint: str, path: str, body: Any, *, api: bool
    ) -> Any:
        params = {"token": self._auth_token} if api and self._auth_token else None
        async with session.post(f"{self._base_url}{path}", json=body, params=params) as response:
            if response.status >= 400:
                raise RasaBadResponse(f"Rasa answered HTTP {response.status} on {endpoint}")
            try:
                return await response.json(content_type=None)
            except ValueError as exc:
                raise RasaBadResponse(f"Rasa sent a body that is not JSON on {endpoint}") from exc

    async def send_message(
        self, session_id: str, text: str, metadata: dict[str, Any]
    ) -> list[BotReply]:
        """Send one customer message through the REST channel.

        Args:
            session_id: Rasa's conversation id (the hub's public session id).
            text: The customer's text.
            metadata: Identity metadata for the actions (see docs/architecture.md).

        Raises:
            RasaError: On any failure. An empty answer also counts: Rasa's REST channel turns
                internal errors (e.g. the action server being down) into ``[]``.
        """
        replies: list[BotReply] = await self._request(
            "webhook",
            "/webhooks/rest/webhook",
            {"sender": session_id, "message": text, "metadata": metadata},
            api=False,
            check=_some_replies,
        )
        return replies

    async def resume(self, session_id: str) -> None:
        """Append a ``resume`` event so the paused conversation predicts again."""
        await self._request(
            "tracker_events",
            f"/conversations/{session_id}/tracker/events",
            [{"event": "resume"}],
            api=True,
        )

    async def trigger_intent(self, session_id: str, name: str) -> list[BotReply]:
        """Trigger an (external) intent and return the bot's messages it caused."""
        replies: list[BotReply] = await self._request(
            "trigger_intent",
            f"/conversations/{session_id}/trigger_intent",
            {"name": name},
            api=True,
            check=_triggered_replies,
        )
        return replies

    async def health(self) -> bool:
        """Whether Rasa answers its root endpoint (used by ``/health``)."""
        if self._health_session is None:
            return False
        try:
            async with self._health_session.get(f"{self._base_url}/") as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log_event(logger, "rasa.health_failed", level=logging.WARNING, error=type(exc).__name__)
            return False


def _replies(payload: Any, endpoint: str) -> list[BotReply]:
    if not isinstance(payload, list) or not all(isinstance(m, dict) for m in payload):
        raise RasaBadResponse(f"Rasa sent an unexpected body on {endpoint}")
    return [bot_reply(m) for m in payload]


def _some_replies(payload: Any) -> list[BotReply]:
    """The webhook's messages; none at all is a failure.

    Rasa's REST channel turns internal errors (e.g. an unreachable action server) into ``[]``.
    """
    replies = _replies(payload, "webhook")
    if not replies:
        raise RasaBadResponse("Rasa answered with no messages")
    return replies


def _triggered_replies(payload: Any) -> list[BotReply]:
    if not isinstance(payload, dict):
        raise RasaBadResponse("Rasa sent an unexpected body on trigger_intent")
    return _replies(payload.get("messages", []), "trigger_intent")
