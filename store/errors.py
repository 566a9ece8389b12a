"""Domain exceptions of the store.

Callers (actions, hub) map these once at their boundary: ``StoreUnavailable`` becomes a polite
"try again later" plus a log line, ``OrderNotFound`` a "I can't find that order" reply.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class StoreUnavailable(StoreError):
    """The database could not be reached or answered with an operational error.

    Attributes:
        operation: The repository operation that failed, e.g. ``"get_order"``.
        backend: The SQLAlchemy dialect name (``"sqlite"``, ``"postgresql"``), never the URL,
            which may hold a password.
    """

    def __init__(self, operation: str, backend: str, detail: str) -> None:
        super().__init__(f"payments store unavailable during {operation} ({backend}): {detail}")
        self.operation = operation
        self.backend = backend


class OrderNotFound(StoreError):
    """No order with that reference is visible to the caller (wrong ref, customer or email)."""

    def __init__(self, order_ref: str) -> None:
        super().__init__(f"order {order_ref!r} not found in the caller's scope")
        self.order_ref = order_ref


class InvalidDispute(StoreError):
    """A dispute request the store refuses to record (e.g. amount above the order total)."""
