"""Structured JSON log lines for the hub.

Every line is one JSON object with the time (UTC), level, logger, event name and the
fields passed through ``extra={"fields": {...}}``; conversation-scoped lines carry
``conversation_id`` so one conversation can be followed across connectors with ``grep``.
Message text is never logged: conversations contain personal data. No call site logs a
token, session key, password or email either; as a second line of defence the formatter
(:func:`redact`) masks what would still slip into a line (an exception's text, a library's
message): JSON web tokens, email addresses, and card numbers, security codes and bank details
(:func:`common.sensitive.mask_sensitive`). ``tests/hub/test_security_logs.py`` runs real flows
and scans every line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any, Final

from common.sensitive import mask_sensitive

# Header, payload and signature of a JWT (customer tokens); base64url parts.
_JWT: Final = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_EMAIL: Final = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    """``text`` with tokens, emails and card or bank numbers masked."""
    text = _JWT.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    return mask_sensitive(text).text


def _redact_field(key: str, value: Any) -> Any:
    # Identifiers (random hex, integers) are kept as they are: a grep must find them.
    if isinstance(value, str) and not key.endswith("_id"):
        return redact(value)
    return value


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record; unknown field types fall back to ``str``."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({key: _redact_field(key, value) for key, value in fields.items()})
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
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
