"""Small typed helpers for the store tests."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def must(value: T | None) -> T:
    """The value, failing the test (not raising AttributeError later) when it is None."""
    assert value is not None
    return value
