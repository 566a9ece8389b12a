"""Structured JSON log lines for the hub.

Every line is one JSON object with the time (UTC), level, logger, event name and the
fields passed through ``extra={"fields": {...}}``; conversation-scoped lines carry
``conversation_id`` so one conversation can be followed across connectors with ``grep``.
Message text is never logged: conversations contain personal data.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record; unknown field types fall back to ``str``."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """Send all log records to stderr as JSON lines (called once by ``python -m connectors``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log duplicates what we log per event, at a much higher volume.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def log_event(
    logger: logging.Logger,
    event: str,
    *,
    level: int = logging.INFO,
    conversation_id: str | None = None,
    exc_info: bool = False,
    **fields: Any,
) -> None:
    """Log one structured event.

    Args:
        logger: The module's logger.
        event: A short dotted event name, e.g. ``customer.handoff``.
        level: Logging level.
        conversation_id: The conversation the event belongs to, if any.
        exc_info: Attach the current exception's traceback.
        **fields: Extra JSON fields (never message text or tokens).
    """
    if conversation_id is not None:
        fields["conversation_id"] = conversation_id
    logger.log(level, event, extra={"fields": fields}, exc_info=exc_info)
