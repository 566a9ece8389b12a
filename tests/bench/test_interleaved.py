"""One-sender rounds interleave the targets, rotate their order and count every message."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

pytest.importorskip("socketio")  # the load generators live in the hub environment
from aiohttp import web

from bench.latency import single_sender_rounds


async def _fake_rasa(name: str, log: list[str]) -> tuple[web.AppRunner, str]:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        log.append(name)
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _args(**overrides: Any) -> argparse.Namespace:
    return argparse.Namespace(
        **{"per_sender": 6, "min_messages": 12, "rounds": 3, "warmup": 2, **overrides}
    )


async def test_blocks_alternate_with_rotated_order() -> None:
    # Runs on pytest-asyncio's loop: asyncio.run() would drop the loop it keeps installed
    # between tests unclosed (a ResourceWarning, an error under this suite's settings).
    log: list[str] = []
    a, url_a = await _fake_rasa("a", log)
    b, url_b = await _fake_rasa("b", log)
    try:
        result = await single_sender_rounds({"a": ("rest", url_a), "b": ("rest", url_b)}, _args())
    finally:
        await a.cleanup()
        await b.cleanup()
    warmup, timed = log[:4], log[4:]
    assert warmup == ["a", "a", "b", "b"]
    blocks = [timed[i : i + 4] for i in range(0, len(timed), 4)]
    assert [block[0] for block in blocks] == ["a", "b", "b", "a", "a", "b"]
    assert all(len(set(block)) == 1 for block in blocks)
    assert result["a"]["count"] == result["b"]["count"] == 12
    assert result["a"]["errors"] == 0
