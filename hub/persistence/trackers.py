"""Rasa's tracker store (``SQLTrackerStore``), as far as retention and erasure need it.

Rasa keeps each conversation's events in one table, ``events`` (``id``, ``sender_id``,
``type_name``, ``timestamp`` as epoch seconds, ``intent_name``, ``action_name``, ``data`` as
JSON text; ``rasa/core/tracker_store.py`` in Rasa 3.6). The hub talks to Rasa with its
conversation's public ``session_id`` as the ``sender``, so a hub conversation's tracker is the
events with that ``sender_id``. The URL is ``TRACKER_STORE_URL`` (see docs/data-protection.md).
The table is only read and deleted from here, never created: a tracker store Rasa has not made
yet (Rasa keeping trackers in memory) simply holds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Engine, make_url

EVENTS: Final = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
# Sender ids per DELETE statement (well under every backend's bound-parameter limit).
SENDERS_PER_STATEMENT: Final = 200


class SqlTrackerEvents:
    """Read and delete Rasa's tracker events in an SQL tracker store.

    Args:
        url: SQLAlchemy URL of the tracker store; an SQLite file that does not exist counts as
            an empty store (it is not created).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    def _connect(self) -> Engine | None:
        if self._engine is None:
            parsed = make_url(self.url)
            if parsed.get_backend_name() == "sqlite":
                if not parsed.database or not Path(parsed.database).exists():
                    return None
                self._engine = create_engine(self.url, future=True, connect_args={"timeout": 10})
            else:
                self._engine = create_engine(self.url, future=True, pool_pre_ping=True)
        if not inspect(self._engine).has_table("events"):
            return None
        return self._engine

    def events(self, sender_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The events of these conversations, in order, with their JSON data parsed."""
        engine = self._connect()
        if engine is None or not sender_ids:
            return []
        out: list[dict[str, Any]] = []
        with engine.connect() as conn:
            for chunk in _chunks(sender_ids):
                rows = conn.execute(
                    select(EVENTS).where(EVENTS.c.sender_id.in_(chunk)).order_by(EVENTS.c.id)
                )
                for row in rows:
                    try:
                        data = json.loads(row.data) if row.data else None
                    except ValueError:
                        data = row.data
                    out.append(
                        {
                            "sender_id": row.sender_id,
                            "type_name": row.type_name,
                            "timestamp": row.timestamp,
                            "intent_name": row.intent_name,
                            "action_name": row.action_name,
                            "data": data,
                        }
                    )
        return out

    def delete_senders(self, sender_ids: Sequence[str]) -> int:
        """Delete every event of these conversations; returns how many went."""
        engine = self._connect()
        if engine is None or not sender_ids:
            return 0
        deleted = 0
        for chunk in _chunks(sender_ids):
            with engine.begin() as conn:
                deleted += int(
                    conn.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))).rowcount
                )
        return deleted

    def idle_senders(
        self, before_timestamp: float, limit: int, after: str | None = None
    ) -> list[str]:
        """Up to ``limit`` conversations whose newest event is older than ``before_timestamp``.

        In sender order, starting after ``after`` (a cursor, so a batch the caller keeps is
        not found again).
        """
        engine = self._connect()
        if engine is None:
            return []
        query = select(EVENTS.c.sender_id)
        if after is not None:
            query = query.where(EVENTS.c.sender_id > after)
        query = (
            query.group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < before_timestamp)
            .order_by(EVENTS.c.sender_id)
            .limit(limit)
        )
        with engine.connect() as conn:
            return [str(s) for s in conn.execute(query).scalars()]

    def count_idle(self, before_timestamp: float) -> int:
        """How many conversations' events :meth:`idle_senders` would find (the dry run)."""
        engine = self._connect()
        if engine is None:
            return 0
        inner = (
            select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < before_timestamp)
            .subquery()
        )
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._engine is not None:
            self._engine.dispose()


def _chunks(items: Iterable[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == SENDERS_PER_STATEMENT:
            yield batch
            batch = []
    if batch:
        yield batch
