"""The hub's HTTP client for the Rasa server (the :class:`hub.services.ports.Bot` port).

Messages go through Rasa's REST channel (``POST /webhooks/rest/webhook``), which returns the
bot's replies in the response body; hand-back uses the HTTP API (``--enable-api``,
``?token=RASA_AUTH_TOKEN``). Every failure is raised as a ``RasaError`` (a ``BotError``) so the
bot turn can fail open, and the client counts consecutive failures across the process.

At most ``max_concurrency`` requests are at Rasa at once: the connection pool's limit, so the
rest wait for a connection here, in order, and each request's read timeout measures Rasa's
answer, not the queue. The wait for a connection has its own bound, beyond which the bot
counts as busy (why: docs/design-notes.md, "Rasa concurrency").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp

from connectors.metrics import HubMetrics
from hub.logging import log_event
from hub.services.ports import BotError, BotReply, BotUnavailable

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


class RasaBusy(RasaError):
    """No connection towards Rasa became free in time (the bot is overloaded)."""

    kind = "busy"


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
    ) -> None:
        """Configure the client; the HTTP session is opened by ``start``.

        Args:
            base_url: Rasa's base URL.
            auth_token: Token of Rasa's HTTP API (hand-back), if any.
            timeout_seconds: Limit on one answer from Rasa.
            metrics: Where failures and latencies are counted.
            max_concurrency: Requests at Rasa at once (the connection pool's limit).
            queue_timeout_seconds: Limit on the wait for a free connection;
                ``timeout_seconds`` when None.
        """
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._auth_token = auth_token
        self._max_concurrency = max_concurrency
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout_seconds if queue_timeout_seconds is None else queue_timeout_seconds,
            sock_connect=timeout_seconds,
            sock_read=timeout_seconds,
        )
        self._metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        # Health checks use their own connection, so a full pool never fails ``/health``.
        self._health_session: aiohttp.ClientSession | None = None
        self.consecutive_failures = 0

    async def start(self) -> None:
        """Open the connection pool (on app start-up, inside the running loop)."""
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_concurrency, limit_per_host=self._max_concurrency
            )
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
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

    def record_success(self) -> None:
        """Reset the failure streak: the bot answered."""
        self.consecutive_failures = 0

    def record_failure(self, error: BotError) -> int:
        """Count a failure and return the current streak length."""
        self.consecutive_failures += 1
        self._metrics.rasa_failures.labels(kind=error.kind).inc()
        return self.consecutive_failures

    async def _request(self, endpoint: str, path: str, body: Any, *, api: bool) -> Any:
        if self._session is None:
            raise RasaUnavailable("The Rasa client is not started.")
        params = {"token": self._auth_token} if api and self._auth_token else None
        started = time.perf_counter()
        try:
            async with self._session.post(
                f"{self._base_url}{path}", json=body, params=params
            ) as response:
                if response.status >= 400:
                    raise RasaBadResponse(f"Rasa answered HTTP {response.status} on {endpoint}")
                try:
                    payload = await response.json(content_type=None)
                except ValueError as exc:
                    raise RasaBadResponse(
                        f"Rasa sent a body that is not JSON on {endpoint}"
                    ) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            # Waiting for a pooled connection (or to connect) took longer than allowed.
            raise RasaBusy(f"no free connection towards Rasa for {endpoint} in time") from exc
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
        self._metrics.rasa_latency_seconds.labels(endpoint=endpoint).observe(
            time.perf_counter() - started
        )
        return payload

    @staticmethod
    def _replies(payload: Any, endpoint: str) -> list[BotReply]:
        if not isinstance(payload, list) or not all(isinstance(m, dict) for m in payload):
            raise RasaBadResponse(f"Rasa sent an unexpected body on {endpoint}")
        return [bot_reply(m) for m in payload]

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
        payload = await self._request(
            "webhook",
            "/webhooks/rest/webhook",
            {"sender": session_id, "message": text, "metadata": metadata},
            api=False,
        )
        replies = self._replies(payload, "webhook")
        if not replies:
            raise RasaBadResponse("Rasa answered with no messages")
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
        payload = await self._request(
            "trigger_intent",
            f"/conversations/{session_id}/trigger_intent",
            {"name": name},
            api=True,
        )
        if not isinstance(payload, dict):
            raise RasaBadResponse("Rasa sent an unexpected body on trigger_intent")
        return self._replies(payload.get("messages", []), "trigger_intent")

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
