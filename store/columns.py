# mypy: allow-subclassing-any
"""Column types that make money and time safe on every backend.

SQLite has no decimal or time-zone types. ``Money`` keeps ``Numeric(12, 2)`` in the schema (so
CHECK constraints compare numbers) but reads SQLite's floats back through ``repr`` and quantizes
them, which is exact for 12-digit amounts. ``UTCDateTime`` refuses naive datetimes and always
hands back timezone-aware UTC values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy.types import DateTime, Numeric, TypeDecorator

from store.constants import CENT


class Money(TypeDecorator):
    """``Numeric(12, 2)`` that only accepts and returns ``Decimal`` with two places."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        """Ask SQLite for floats so SQLAlchemy does not warn about lossy decimal emulation."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Any, dialect: Any) -> Decimal | None:
        """Reject floats and sub-cent amounts instead of silently rounding money."""
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        quantized = value.quantize(CENT)
        if quantized != value:
            raise ValueError(f"money has more than two decimal places: {value}")
        return quantized

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        """Turn the backend's value (Decimal, or float on SQLite) into an exact Decimal."""
        if value is None:
            return None
        text = repr(value) if isinstance(value, float) else str(value)
        return Decimal(text).quantize(CENT)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetime stored as UTC; naive datetimes are a bug and are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        """Normalise to UTC; SQLite gets a naive UTC value because it cannot store offsets."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: pass a timezone-aware (UTC) datetime")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        """Return aware UTC whatever the backend's session time zone is."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)  # type: ignore[no-any-return]
        return value.astimezone(timezone.utc)  # type: ignore[no-any-return]
