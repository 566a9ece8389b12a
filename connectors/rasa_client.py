"""The hub's HTTP client for the Rasa server.

Messages go through Rasa's REST channel (``POST /webhooks/rest/webhook``), which returns
the bot's replies in the response body; hand-back uses the HTTP API (``--enable-api``,
``?token=RASA_AUTH_TOKEN``). Every failure is raised as a ``RasaError`` subclass so the
customer connector can decide to fail open, and the client counts consecutive failures
across the process: the bot is either answering or it is not.

At most ``max_concurrency`` requests are at Rasa at once; the rest wait their turn here, in
order. Rasa works on everything it is sent at the same time, so a burst of 50 customers all
sent at once made every answer slow and the slowest went past the timeout together (14 of
300 in the 50-customer benchmark), each one counted as a bot failure and, after two, handed
to a person: a traffic burst became a flood of human handoffs. Queued here, each request's
timeout measures Rasa's answer, not the queue; the wait for a turn has its own bound (the
same timeout), beyond which the bot counts as busy, so a customer is never left waiting on
an overloaded bot indefinitely.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from hub.logging import log_event
from hub.metrics import HubMetrics

logger = logging.getLogger(__name__)


class RasaError(Exception):
    """Rasa did not give a usable answer; ``kind`` labels the failure for metrics."""

    kind = "error"


class RasaUnavailable(RasaError):
    """Rasa could not be reached at all (connection refused, DNS, reset)."""

    kind = "unavailable"


class RasaTimeout(RasaError):
    """Rasa did not answer within the configured timeout."""

    kind = "timeout"


class RasaBusy(RasaError):
    """Every slot towards Rasa stayed taken for the whole timeout (the bot is overloaded)."""

    kind = "busy"


class RasaBadResponse(RasaError):
    """Rasa answered with an error status or a body we cannot use."""

    kind = "bad_response"


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
            max_concurrency: Requests at Rasa at once (see the module docstring).
            queue_timeout_seconds: Limit on the wait for a free slot; ``timeout_seconds``
                when None.
        """
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._auth_token = auth_token
        self._queue_timeout_seconds = (
            timeout_seconds if queue_timeout_seconds is None else queue_timeout_seconds
        )
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        self.consecutive_failures = 0

    async def start(self) -> None:
        """Open the connection pool (on app start-up, inside the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        """Close the connection pool (on app clean-up)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def record_success(self) -> None:
        """Reset the failure streak: the bot answered."""
        self.consecutive_failures = 0

    def record_failure(self, error: RasaError) -> int:
        """Count a failure and return the current streak length."""
        self.consecutive_failures += 1
        self._metrics.rasa_failures.labels(kind=error.kind).inc()
        return self.consecutive_failures

    async def _request(self, endpoint: str, path: str, body: Any, *, api: bool) -> Any:
        # A free slot is taken at once; ``wait_for`` (a task and a timer per call) only when
        # the request has to queue for one.
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), self._queue_timeout_seconds)
            except asyncio.TimeoutError as exc:
                raise RasaBusy(f"no free slot towards Rasa for {endpoint} in time") from exc
        else:
            await self._slots.acquire()
        try:
            return await self._send(endpoint, path, body, api=api)
        finally:
            self._slots.release()

    async def _send(self, endpoint: str, path: str, body: Any, *, api: bool) -> Any:
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
    def _messages(payload: Any, endpoint: str) -> list[dict[str, Any]]:
        if not isinstance(payload, list) or not all(isinstance(m, dict) for m in payload):
            raise RasaBadResponse(f"Rasa sent an unexpected body on {endpoint}")
        return payload

    async def send_message(
        self, sender: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send one customer message through the REST channel.

        Args:
            sender: Rasa's conversation id (the hub's public session id).
            text: The customer's text.
            metadata: Identity metadata for the actions (see docs/architecture.md).

        Returns:
            The bot's messages in Rasa's collector format (``text``, ``buttons``,
            ``image``, ``attachment``, ``custom``).

        Raises:
            RasaError: On any failure. An empty answer also counts: Rasa's REST channel
                turns internal errors (e.g. the action server being down) into ``[]``.
        """
        payload = await self._request(
            "webhook",
            "/webhooks/rest/webhook",
            {"sender": sender, "message": text, "metadata": metadata},
            api=False,
        )
        messages = self._messages(payload, "webhook")
        if not messages:
            raise RasaBadResponse("Rasa answered with no messages")
        return messages

    async def resume(self, conversation_id: str) -> None:
        """Append a ``resume`` event so the paused conversation predicts again."""
        await self._request(
            "tracker_events",
            f"/conversations/{conversation_id}/tracker/events",
            [{"event": "resume"}],
            api=True,
        )

    async def trigger_intent(self, conversation_id: str, name: str) -> list[dict[str, Any]]:
        """Trigger an (external) intent and return the bot's messages it caused."""
        payload = await self._request(
            "trigger_intent",
            f"/conversations/{conversation_id}/trigger_intent",
            {"name": name},
            api=True,
        )
        if not isinstance(payload, dict):
            raise RasaBadResponse("Rasa sent an unexpected body on trigger_intent")
        return self._messages(payload.get("messages", []), "trigger_intent")

    async def health(self) -> bool:
        """Whether Rasa answers its root endpoint (used by ``/health``)."""
        if self._session is None:
            return False
        try:
            async with self._session.get(
                f"{self._base_url}/", timeout=aiohttp.ClientTimeout(total=2)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log_event(logger, "rasa.health_failed", level=logging.WARNING, error=type(exc).__name__)
            return False
