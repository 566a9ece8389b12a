"""Base of the hub's Socket.IO namespaces: one payload per event, errors mapped in one place."""

from __future__ import annotations

import logging
from typing import Any

import socketio
from sqlalchemy.exc import OperationalError

from connectors.payloads import ERROR_TEXT, error_event, hub_error_event
from connectors.validation import EventError
from hub.domain.errors import HubError
from hub.logging import log_event

logger = logging.getLogger(__name__)


class GuardedNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Dispatches client events to ``on_<event>(sid, data)`` and maps every error.

    Clients can send any number of arguments; handlers always get exactly one data value
    (``None`` when absent). A rejection becomes an ``error`` event and, when the client asked
    for an ack, ``{"error": ...}`` as the ack.
    """

    log_prefix = "socket"

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Run the handler of ``event``; see the class docstring."""
        if event in {"connect", "disconnect"}:
            return await super().trigger_event(event, *args)
        sid = args[0]
        data = args[1] if len(args) > 1 else None
        handler = getattr(self, f"on_{event}", None)
        try:
            if handler is None or len(args) > 2:
                raise EventError(
                    "unknown_event" if handler is None else "malformed",
                    ERROR_TEXT["unknown_event"]
                    if handler is None
                    else "Send exactly one payload object.",
                )
            return await handler(sid, data)
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
