"""Base of the hub's Socket.IO namespaces: one payload per event, errors mapped in one place."""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Final

import socketio
from sqlalchemy.exc import OperationalError

from connectors.json import hub_json
from connectors.payloads import ERROR_TEXT, error_event, hub_error_event
from connectors.validation import EventError, decode_frame
from hub.domain.errors import HubError
from hub.logging import log_event

logger = logging.getLogger(__name__)

# Names python-socketio uses for a socket's arrival and departure; as client events, refused.
LIFECYCLE_EVENTS: Final = frozenset({"connect", "disconnect"})
# What Engine.IO reads of one message at most (websocket message or long-polling POST body).
# Above it the transport drops the connection (websocket) or answers the POST 400 and closes
# the session; below it every frame gets an answer, ``too_large`` above the hub's own limit
# (``connectors.validation.MAX_FRAME_CHARS``).
MAX_TRANSPORT_BYTES: Final = 4 * 1024 * 1024
# The event name a frame the hub refused to parse is delivered under (never a client's).
REJECTED_FRAME: Final = "payassist:rejected_frame"


class _FrameJSON:
    """JSON for Socket.IO packets: the hub's encoder out, :func:`decode_frame` in."""

    dumps = staticmethod(hub_json.dumps)
    loads = staticmethod(decode_frame)


class HubPacket(socketio.packet.Packet):  # type: ignore[misc]
    """Socket.IO packets in the hub's JSON, with a refused frame answered instead of dropped.

    python-socketio decodes a packet's header (type, namespace, ack id) before its JSON. When
    the JSON is refused (too large, invalid, nested too deeply) the packet keeps its header and
    carries ``[REJECTED_FRAME, error]`` as its data, so the namespace answers the client with
    an ``error`` event and the ack (:meth:`GuardedNamespace.trigger_event`) rather than the
    server dropping it with a traceback.
    """

    json = _FrameJSON

    def decode(self, encoded_packet: str | bytes) -> int:
        """Decode one packet; see the class docstring."""
        try:
            return int(super().decode(encoded_packet) or 0)
        except EventError as exc:
            self.data = [REJECTED_FRAME, exc.as_event()]
            return 0


class GuardedNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Dispatches the namespace's client events to ``on_<event>`` and maps every error.

    Only the events named in :attr:`client_events` reach a handler; any other name (an
    internal method's, a typo, ``connect``/``disconnect`` sent by a client) is
    ``unknown_event``. Clients can send any number of
    arguments; handlers always get exactly one data value (``None`` when absent). A rejection
    becomes an ``error`` event and, when the client asked for an ack, ``{"error": ...}`` as
    the ack. Subclasses may override :meth:`handle` to run one check before every event.
    """

    log_prefix = "socket"
    client_events: ClassVar[frozenset[str]] = frozenset()

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Run the handler of ``event``; see the class docstring."""
        if event in LIFECYCLE_EVENTS and self._from_server(event, args):
            return await super().trigger_event(event, *args)
        sid = args[0]
        data = args[1] if len(args) > 1 else None
        try:
            if event == REJECTED_FRAME and isinstance(data, dict):
                raise EventError(str(data.get("code")), str(data.get("message")))
            if event not in self.client_events:
                raise EventError("unknown_event", ERROR_TEXT["unknown_event"])
            if len(args) > 2:
                raise EventError("malformed", "Send exactly one payload object.")
            return await self.handle(event, sid, data)
        except EventError as exc:
            payload = error_event(exc.code, exc.message)
        except HubError as exc:
            payload = hub_error_event(exc)
        except Exception as exc:
            # The store unreachable (retry later) or a bug: logged with the traceback, and the
            # client learns only the kind.
            unavailable = isinstance(exc, OperationalError)
            log_event(
                logger,
                f"{self.log_prefix}.{'store_unavailable' if unavailable else 'event_failed'}",
                level=logging.ERROR,
                exc_info=True,
                event_name=event[:64],
            )
            payload = error_event("unavailable" if unavailable else "internal")
        log_event(
            logger,
            f"{self.log_prefix}.event_rejected",
            level=logging.INFO,
            event_name=event[:64],
            code=payload["code"],
        )
        await self.emit("error", payload, to=sid)
        return {"error": payload}

    def _from_server(self, event: str, args: tuple[Any, ...]) -> bool:
        """Whether a ``connect``/``disconnect`` comes from python-socketio, not a client.

        A client may emit an event with either name; it arrives here exactly like the real
        one. The real ``connect`` is called with the connection's own environ dict, the very
        object the server keeps for it (a client's data is fresh JSON, never that object).
        The real ``disconnect`` runs after the server marked the socket as leaving, so the
        socket no longer counts as connected, while a client's events are only dispatched
        while it does (``AsyncServer._handle_connect`` / ``_handle_disconnect`` /
        ``disconnect``, python-socketio 5; ``tests/hub/test_client_events.py`` checks it).
        """
        if not args or not isinstance(args[0], str):
            return False
        sid = args[0]
        if event == "connect":
            environ = self.server.get_environ(sid, namespace=self.namespace)
            return len(args) >= 2 and environ is not None and args[1] is environ
        return not self.server.manager.is_connected(sid, self.namespace)

    async def handle(self, event: str, sid: str, data: Any) -> Any:
        """Run the handler of one of :attr:`client_events`: ``on_<event>(sid, data)``."""
        return await getattr(self, f"on_{event}")(sid, data)
