"""Oversized long-polling POSTs, answered at the HTTP boundary before Engine.IO reads them.

Over websocket Engine.IO hands the hub every message up to ``MAX_TRANSPORT_BYTES``, and a frame
over the hub's own limit is answered ``too_large`` when it is decoded
(:class:`connectors.socket_base.HubPacket`). Over long-polling that cannot work: Engine.IO reads
a POST body with one ``read(Content-Length)``, which under aiohttp returns only what has
arrived so far, so a large body reaches the decoder cut short. So a POST whose body is over the
frame limit never reaches Engine.IO:

- up to ``MAX_TRANSPORT_BYTES``: only the first packet's header (namespace, ack id) is read,
  and the client gets ``error {code: "too_large"}`` and its ack ``{"error": ...}`` through the
  session like any other answer; the POST itself is ``ok`` (the rest of its body is dropped);
- above it: ``413`` without reading the body (the session stays open).

Either way nothing waits on the session: Engine.IO's own over-limit path closes the session and
then waits, inside that request, for a poll that never comes (and the shutdown with it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import parse_qs

import socketio
from aiohttp import web
from aiohttp.typedefs import Middleware
from socketio import packet as sio_packet

from connectors.payloads import error_event
from connectors.socket_base import MAX_TRANSPORT_BYTES, HubPacket
from connectors.validation import MAX_FRAME_CHARS
from hub.logging import log_event

logger = logging.getLogger(__name__)

SOCKETIO_PATH: Final = "/socket.io/"
# Enough of a body to hold the first packet's header: "4" + type + namespace + "," + ack id.
HEADER_BYTES: Final = 512
ENGINEIO_MESSAGE: Final = "4"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def oversized_polling(sio: socketio.AsyncServer) -> Middleware:
    """The aiohttp middleware answering long-polling POSTs over the frame limit."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        length = request.content_length or 0
        if (
            request.method != "POST"
            or not request.path.startswith(SOCKETIO_PATH)
            or length <= MAX_FRAME_CHARS
        ):
            return await handler(request)
        log_event(logger, "transport.too_large", level=logging.WARNING, size=length)
        if length > MAX_TRANSPORT_BYTES:
            return web.json_response(
                {"error": error_event("too_large", "The request is too large.")}, status=413
            )
        # Only the head is read; aiohttp drains the rest after the answer for at most its
        # lingering time, so a client that never finishes its upload holds nothing here.
        head = await request.content.readexactly(min(HEADER_BYTES, length))
        eio_sid = parse_qs(request.query_string).get("sid", [None])[0]
        if eio_sid is not None:
            await _answer_too_large(sio, eio_sid, head.decode("utf-8", errors="replace"))
        return web.Response(text="ok", content_type="text/html")

    return middleware


async def _answer_too_large(sio: socketio.AsyncServer, eio_sid: str, head: str) -> None:
    """Send ``too_large`` (event and ack) for the first packet of a dropped POST body."""
    if not head.startswith(ENGINEIO_MESSAGE):
        return
    first = head[1:].split("\x1e", 1)[0]
    header = HubPacket(encoded_packet=first)  # the cut-off JSON is refused, the header kept
    if header.packet_type not in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
        return
    namespace = header.namespace or "/"
    sid = sio.manager.sid_from_eio_sid(eio_sid, namespace)
    if sid is None:
        return
    body = error_event("too_large", "The event is too large.")
    await sio.emit("error", body, to=sid, namespace=namespace)
    if header.id is not None:
        ack = HubPacket(sio_packet.ACK, namespace=namespace, id=header.id, data=[{"error": body}])
        await sio.eio.send(eio_sid, ack.encode())
