"""Small typed helpers for the store tests."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def must(value: T | None) -> T:
    """The value, failing the test (not raising AttributeError later) when it is None."""
    assert value is not None
    return value


# The hub's tables the pre-migration start-up ``create_all`` made (revision 0001); tables added
# by later revisions must not appear in a simulated "old" database.
BASELINE_HUB_TABLES = frozenset(
    {
        "hub_agents",
        "hub_agent_sessions",
        "hub_conversations",
        "hub_messages",
        "hub_transitions",
        "hub_handoffs",
        "hub_tickets",
        "hub_ratings",
    }
)
