"""Rasa's ``SQLTrackerStore``, with each conversation's stored rows remembered between turns.

Rasa 3.6's SQL tracker store does per turn, through the ORM: a sub-query for the latest
``session_started``, every row of the session, then on save the same query again to count what
is stored, one ORM object per new event and a flush. On SQLite that was most of the ~4 ms a
persistent store added to a turn (``bench.cluster_tracker``; profile in docs/benchmarks.md).

:class:`CachedSQLTrackerStore` keeps the same table, the same rows and the same answers, and
asks the database one indexed question per call instead: how many rows this conversation has
and its highest id. When both match what this process last read or wrote, the remembered rows
(the ``data`` JSON strings of the current session, decoded afresh each time exactly as stock
decodes them) are used; when another process changed the conversation (a second Rasa server
after a failover, the hub's retention purge or erasure), the rows are read again with Rasa's
own query. New events are written with one multi-row insert in one transaction.

Nothing is served from memory that the database does not still hold: the check runs on every
retrieve and save, so a purge, an erasure or another server's turn is seen at once.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

# Conversations remembered per process (least recently used dropped first). A row is the
# event's JSON (~1-3 kB with the parse data), a session a few dozen rows.
DEFAULT_CACHE_SIZE = 2048


@dataclass(frozen=True)
class _Row:
    type_name: str
    timestamp: float | None
    data: str


@dataclass
class _Known:
    """What the database held for one conversation when this process last read or wrote it."""

    count: int  # rows of the conversation, all sessions
    max_id: int | None
    session: list[_Row] = field(default_factory=list)  # the rows stock ``retrieve`` returns


def _current_session(rows: Sequence[_Row]) -> list[_Row]:
    """The rows stock ``_event_query`` returns: at or after the latest session start's time."""
    starts = [
        row.timestamp
        for row in rows
        if row.type_name == SessionStarted.type_name and row.timestamp is not None
    ]
    if not starts:
        return list(rows)
    latest = max(starts)
    return [row for row in rows if row.timestamp is not None and row.timestamp >= latest]


class CachedSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    """``SQLTrackerStore`` that reads a conversation's rows once and checks them every turn.

    Configured in the endpoints as ``type: bot.tracker_cache.CachedSQLTrackerStore`` with the
    same keys as ``type: SQL`` (``bot/stores.py`` writes it).
    """

    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache_size = int(cache_size)
        self._known: OrderedDict[str, _Known] = OrderedDict()
        table = self.SQLEvent.__table__
        self._table = table
        self._stats = sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )
        self._newer = (
            sa.select(table.c.id, table.c.type_name, table.c.timestamp, table.c.data)
            .where(table.c.sender_id == sa.bindparam("sender_id"))
            .where(table.c.id > sa.bindparam("after"))
            .order_by(table.c.id)
        )

    # -- reading -------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker, as stock ``SQLTrackerStore.retrieve`` returns it."""
        with self.engine.connect() as connection:
            known = self._refresh(connection, sender_id)
        if known is None or not known.session or not self.domain:
            return None
        events = [json.loads(row.data) for row in known.session]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _refresh(self, connection: Any, sender_id: str) -> _Known | None:
        """The conversation's rows, from memory when the database still holds exactly those."""
        count, max_id = connection.execute(self._stats, {"sender_id": sender_id}).one()
        known = self._known.get(sender_id)
        if known is not None and (known.count, known.max_id) == (count, max_id):
            self._known.move_to_end(sender_id)
            return known
        if count == 0:
            self._known.pop(sender_id, None)
            return None
        if known is not None and known.max_id is not None and count > known.count:
            newer = self._read(connection, sender_id, after=known.max_id)
            if known.count + len(newer) == count:  # only appended to since we looked
                return self._remember(
                    sender_id, count, max_id, _current_session([*known.session, *newer])
                )
        rows = self._read(connection, sender_id, after=None)
        return self._remember(sender_id, count, max_id, _current_session(rows))

    def _read(self, connection: Any, sender_id: str, after: int | None) -> list[_Row]:
        params = {"sender_id": sender_id, "after": -1 if after is None else after}
        return [
            _Row(str(row.type_name), row.timestamp, str(row.data))
            for row in connection.execute(self._newer, params)
        ]

    def _remember(
        self, sender_id: str, count: int, max_id: int | None, session: list[_Row]
    ) -> _Known:
        known = _Known(count=count, max_id=max_id, session=session)
        self._known[sender_id] = known
        self._known.move_to_end(sender_id)
        while len(self._known) > self._cache_size:
            self._known.popitem(last=False)
        return known

    # -- writing -------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events not yet stored, as stock ``save`` does, in one transaction.

        A tracker without events has nothing to store and nothing to check: Rasa saves the
        empty tracker it creates for a new conversation (``get_tracker``) before the turn
        adds anything, and stock ``save`` writes no row for it either.
        """
        await self.stream_events(tracker)
        if not tracker.events:
            return
        sender_id = tracker.sender_id
        with self.engine.begin() as connection:
            known = self._refresh(connection, sender_id)
            session = list(known.session) if known is not None else []
            stored_count = known.count if known is not None else 0
            values = [
                self._row_values(sender_id, event) for event in list(tracker.events)[len(session) :]
            ]
            if not values:
                return
            connection.execute(self._table.insert(), values)  # one executemany
            count, max_id = connection.execute(self._stats, {"sender_id": sender_id}).one()
        session.extend(_Row(row["type_name"], row["timestamp"], row["data"]) for row in values)
        if count == stored_count + len(values):
            # Committed, and nobody else wrote to this conversation meanwhile: remember it.
            self._remember(sender_id, count, max_id, _current_session(session))
        else:
            self._known.pop(sender_id, None)  # read it again from the database next time

    @staticmethod
    def _row_values(sender_id: str, event: Any) -> dict[str, Any]:
        """The columns stock ``save`` writes for one event."""
        data = event.as_dict()
        intent = (data.get("parse_data") or {}).get("intent") or {}
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": intent.get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
