"""The hub's one JSON encoding, for Socket.IO packets and HTTP responses alike.

Views are frozen dataclasses with ``Decimal`` money and aware datetimes: money stays exact as a
decimal string and times are ISO 8601 in UTC. :func:`to_json` turns a value into plain JSON
data (what crosses Redis between hub processes, whose manager encodes with the standard
library); :data:`hub_json` is the ``dumps``/``loads`` pair given to python-socketio and
``aiohttp.web.json_response``.
"""

from __future__ import annotations

import dataclasses
import enum
import json as std_json
from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any


def _default(value: Any) -> Any:
    """Encode what the standard encoder does not know (views, money, times)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class HubJSONEncoder(std_json.JSONEncoder):
    """``json.JSONEncoder`` that knows the hub's views, money and times."""

    def default(self, o: Any) -> Any:
        """Encode a view, money, a time, an enum or a set."""
        return _default(o)


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` with :class:`HubJSONEncoder`."""
    return std_json.dumps(value, cls=HubJSONEncoder, **kwargs)


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` (decoding needs nothing special)."""
    return std_json.loads(text, **kwargs)


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data (dicts, lists, strings, numbers, booleans, None)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return to_json(_default(value))


hub_json = SimpleNamespace(dumps=dumps, loads=loads)
