"""A tiny stand-in for the Rasa server: REST webhook and the HTTP API the hub uses.

It answers like Rasa's REST channel (collector-format messages) and can be told to
fail, hang, vanish (connection refused) or answer with a handoff payload, so the hub's
routing and fail-open paths can be tested in milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

AUTH_TOKEN = "fake-rasa-token"

HANDOFF_PAYLOAD = {
    "handoff": {
        "reason": "frustration",
        "queue": "payments",
        "signals": [
            {"name": "negative_sentiment", "score": 0.71, "turn": 3, "evidence": "useless"}
        ],
        "score": 0.82,
        "summary": "Customer is upset about a declined instalment on ORD-104233.",
        "order_number": "ORD-104233",
        "intent": "payment_declined",
    }
}


def default_reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules good enough to tell bot turns apart in tests."""
    sender = body["sender"]
    text = body["message"]
    if "useless" in text:
        return [
            {"recipient_id": sender, "text": "I'm sorry this has been frustrating."},
            {"recipient_id": sender, "custom": HANDOFF_PAYLOAD},
        ]
    if "options" in text:
        return [
            {
                "recipient_id": sender,
                "text": "Which order?",
                "buttons": [
                    {"title": "ORD-104233", "payload": '/inform{"order_number":"ORD-104233"}'},
                    {"title": "ORD-104288", "payload": '/inform{"order_number":"ORD-104288"}'},
                ],
            }
        ]
    if "picture" in text:
        return [{"recipient_id": sender, "image": "https://example.test/receipt.png"}]
    return [{"recipient_id": sender, "text": f"bot reply to: {text}"}]


@dataclass
class FakeRasa:
    """Configurable fake; ``mode`` is one of ok, error, timeout, empty."""

    mode: str = "ok"
    hang_seconds: float = 2.0
    reply: Callable[[dict[str, Any]], list[dict[str, Any]]] = default_reply
    webhook_calls: list[dict[str, Any]] = field(default_factory=list)
    api_calls: list[tuple[str, str, Any, str | None]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0
    # Webhook requests being answered right now, and the most there ever were at once.
    in_flight: int = 0
    peak_in_flight: int = 0

    @property
    def url(self) -> str:
        """Base URL of the running fake."""
        return f"http://127.0.0.1:{self.port}"

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._root)
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_post("/conversations/{cid}/tracker/events", self._events)
        app.router.add_post("/conversations/{cid}/trigger_intent", self._trigger)
        return app

    async def start(self) -> None:
        """Listen on a free port (the same one again after ``stop``)."""
        self.runner = web.AppRunner(self._app(), shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        """Go away: further requests get connection refused."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def _misbehave(self) -> web.Response | None:
        if self.mode == "error":
            return web.json_response({"status": "failure"}, status=500)
        if self.mode == "timeout":
            await asyncio.sleep(self.hang_seconds)
        return None

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.webhook_calls.append(body)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            failure = await self._misbehave()
        finally:
            self.in_flight -= 1
        if failure is not None:
            return failure
        if self.mode == "empty":
            return web.json_response([])
        return web.json_response(self.reply(body))

    def _authorised(self, request: web.Request) -> bool:
        return request.query.get("token") == AUTH_TOKEN

    async def _events(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.api_calls.append(
            ("events", request.match_info["cid"], body, request.query.get("token"))
        )
        if not self._authorised(request):
            return web.json_response(
                {"status": "failure", "reason": "NotAuthenticated"}, status=401
            )
        failure = await self._misbehave()
        return failure or web.json_response({"sender_id": request.match_info["cid"]})

    async def _trigger(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.api_calls.append(
            ("trigger", request.match_info["cid"], body, request.query.get("token"))
        )
        if not self._authorised(request):
            return web.json_response(
                {"status": "failure", "reason": "NotAuthenticated"}, status=401
            )
        failure = await self._misbehave()
        if failure is not None:
            return failure
        cid = request.match_info["cid"]
        return web.json_response(
            {
                "tracker": {"sender_id": cid},
                "messages": [{"recipient_id": cid, "text": "I'm back. What else can I help with?"}],
            }
        )
