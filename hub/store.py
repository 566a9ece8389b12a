"""HubStore: every read and write of the hub's tables, in explicit transactions.

The database is the only truth (a restart loses nothing, several hub processes may share it).
Races are settled by the database, not by Python locks: state changes are conditional updates
(``UPDATE ... WHERE state = <state read>``) whose row count says who won, and rows that bound a
decision (an agent's capacity, a conversation's message order) are locked ``FOR UPDATE`` on
PostgreSQL. On SQLite every write transaction starts with ``BEGIN IMMEDIATE``, which serialises
writers up front instead of failing a read-then-write upgrade with "database is locked".

Reads that decide nothing (:meth:`HubStore.read`) use a plain deferred transaction: in WAL mode
they see one consistent snapshot and never wait for a writer, so a message being stored does
not hold up an agent's authentication or a routing lookup. Writers of one hub process queue on
a Python lock before ``BEGIN IMMEDIATE``: a thread waiting on that lock wakes the moment the
previous writer commits, whereas SQLite's busy handler polls with sleeps of up to 100 ms, which
showed as tail latency in the relay benchmark. Other processes are still kept out by SQLite's
own lock and ``busy_timeout``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any, Final

from sqlalchemy import bindparam, event, func, insert, inspect, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub import models as m
from hub.errors import ClaimConflict, NotFound
from hub.state import next_state
from store.db import create_engine_from_url

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option on the engine the read-only sessions use; the ``begin`` hook then issues a
# deferred ``BEGIN`` instead of ``BEGIN IMMEDIATE``.
READ_ONLY_OPTION: Final = "payassist_read_only"
# Columns added to existing tables after their first release. ``create_all`` creates missing
# tables but never alters existing ones, and the project has no migration tool, so start-up
# adds these (nullable, no default) to an older database explicitly; see ``create_schema``.
ADDED_COLUMNS: Final[tuple[tuple[str, str], ...]] = (("hub_agents", "last_seen_at"),)

# Statements of every bot turn, built once. Building ``select(...).where(...)`` and then its
# cache key on each call cost about as much as running it on SQLite: storing a message took
# 0.6 ms with statements built per call and 0.3 ms with these.
_CONVERSATION: Final = select(m.Conversation).where(
    m.Conversation.id == bindparam("conversation_id")
)
_CONVERSATION_FOR_UPDATE: Final = _CONVERSATION.with_for_update()
_CONVERSATIONS: Final = m.Conversation.__table__
_MESSAGES: Final = m.Message.__table__
# Core statements (table columns, no ORM entities) run as they are on a Session or a bare
# Connection; their rows come back with the column types applied (aware datetimes, JSON).
_CONVERSATION_STATE: Final = select(_CONVERSATIONS.c.state).where(
    _CONVERSATIONS.c.id == bindparam("conversation_id")
)
_CONVERSATION_STATE_FOR_UPDATE: Final = _CONVERSATION_STATE.with_for_update()
_CONVERSATION_BY_SESSION: Final = select(
    _CONVERSATIONS.c.id,
    _CONVERSATIONS.c.session_id,
    _CONVERSATIONS.c.customer_ref,
    _CONVERSATIONS.c.session_key_hash,
    _CONVERSATIONS.c.state,
).where(_CONVERSATIONS.c.session_id == bindparam("session_id"))
_INSERT_CONVERSATION: Final = insert(_CONVERSATIONS)
_MESSAGE_BY_CLIENT_ID: Final = select(m.Message).where(
    m.Message.conversation_id == bindparam("conversation_id"),
    m.Message.client_msg_id == bindparam("client_msg_id"),
)
_MESSAGE_ROW_BY_CLIENT_ID: Final = select(_MESSAGES).where(
    _MESSAGES.c.conversation_id == bindparam("conversation_id"),
    _MESSAGES.c.client_msg_id == bindparam("client_msg_id"),
)
_INSERT_MESSAGE: Final = insert(_MESSAGES)
# The attributes an insert copies from a new ``Message`` (the database assigns ``id``).
_MESSAGE_FIELDS: Final = tuple(c.key for c in _MESSAGES.columns if c.key != "id")
_SET_LAST_MESSAGE: Final = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(last_message_id=bindparam("last_message_id"))
)


def is_embedded(dialect_name: str) -> bool:
    """Whether a database of this SQLAlchemy dialect runs inside the hub process.

    SQLite is a library: a call is CPU time in this process and never waits on the network;
    it waits on another connection only through the per-process writer lock (this process)
    or ``busy_timeout`` (another process). Every other database (PostgreSQL) is a server a
    call makes round trips to, however short the call.
    """
    return dialect_name == "sqlite"


def create_hub_engine(url: str) -> Engine:
    """Build the hub's engine for ``url`` (SQLite file or PostgreSQL).

    The payments store's engine factory, with a longer SQLite busy timeout (several hub
    processes may write). On SQLite every transaction is ``BEGIN IMMEDIATE`` (see the module
    docstring); the driver's own implicit transactions are switched off so SQLAlchemy's
    ``begin`` is the only one.
    """
    engine = create_engine_from_url(url, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
    if make_url(url).get_backend_name() != "sqlite":
        return engine
    event.listen(engine, "connect", _sqlite_manual_transactions)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(conn: Any) -> None:
    # Straight on the driver's connection: through ``exec_driver_sql`` (events, a result
    # object) the BEGIN cost a third of an empty write transaction. A driver error (e.g.
    # "database is locked" after ``busy_timeout``) is wrapped as ``exec_driver_sql`` would,
    # so callers still see SQLAlchemy's ``OperationalError``.
    statement = "BEGIN" if conn.get_execution_options().get(READ_ONLY_OPTION) else "BEGIN IMMEDIATE"
    dbapi_error = conn.dialect.dbapi.Error
    try:
        conn.connection.dbapi_connection.execute(statement)
    except dbapi_error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc


class HubStore:
    """Persistence of the hub; every method runs inside a caller's transaction.

    Args:
        engine: Engine from :func:`create_hub_engine` (or any engine for the same database).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, future=True, expire_on_commit=False)
        self._read_engine = engine.execution_options(**{READ_ONLY_OPTION: True})
        self._read_sessions = sessionmaker(
            bind=self._read_engine, future=True, expire_on_commit=False
        )
        # One writer at a time per process on SQLite (see the module docstring). Re-entrant so
        # a thread that already writes is refused by SQLite as before, never deadlocked here.
        self._write_lock: threading.RLock | None = (
            threading.RLock() if is_embedded(engine.dialect.name) else None
        )
        self._state_changes = 0
        self._state_changes_lock = threading.Lock()  # no lost bumps without the writer lock

    @property
    def state_changes(self) -> int:
        """How many state transitions this store object has started (see :meth:`transition`).

        The count grows inside each transition's transaction, before its update. On SQLite
        that transaction holds the process writer lock from before the count grows until
        after the commit, so: if the count read *before* a write transaction
        (:meth:`transaction`, :meth:`write`) equals the count read at a later moment, no
        transition through this object committed between that transaction's reads and that
        moment. One that committed earlier did so before the transaction took the lock (the
        transaction saw it); one that committed later grew the count after the first read.
        On PostgreSQL (no writer lock) the count proves nothing, and it never covers other
        processes or other store objects. A transition that rolls back still counts.
        """
        return self._state_changes

    @property
    def is_embedded(self) -> bool:
        """Whether the database runs inside this process (SQLite); see :func:`is_embedded`."""
        return is_embedded(self.engine.dialect.name)

    @classmethod
    def from_url(cls, url: str) -> HubStore:
        """Open the store at ``url`` and make sure its tables exist."""
        store = cls(create_hub_engine(url))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        """Create the hub's tables if missing and add columns newer than the database.

        Idempotent, and safe when several hub processes start together: a column another
        process added first is accepted.
        """
        m.hub_metadata.create_all(self.engine)
        for table, column in self.add_missing_columns():
            log.warning("added missing column %s.%s to the hub database", table, column)

    def add_missing_columns(self) -> list[tuple[str, str]]:
        """Add the nullable columns of :data:`ADDED_COLUMNS` an older database lacks.

        Returns:
            The ``(table, column)`` pairs added by this call.
        """
        added: list[tuple[str, str]] = []
        preparer = self.engine.dialect.identifier_preparer
        for table_name, column_name in ADDED_COLUMNS:
            if column_name in self._column_names(table_name):
                continue
            column = m.hub_metadata.tables[table_name].c[column_name]
            column_type = column.type.compile(dialect=self.engine.dialect)
            # Identifiers and type come from our own metadata, never from input.
            ddl = (
                f"ALTER TABLE {preparer.quote(table_name)} "
                f"ADD COLUMN {preparer.quote(column_name)} {column_type}"
            )
            try:
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(ddl)
            except DBAPIError:
                if column_name not in self._column_names(table_name):
                    raise
                continue  # another hub process added it at the same moment
            added.append((table_name, column_name))
        return added

    def _column_names(self, table_name: str) -> set[str]:
        return {str(c["name"]) for c in inspect(self.engine).get_columns(table_name)}

    def ping(self) -> None:
        """Run a trivial query; raises the driver's error when the database is unreachable."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close pooled connections (at shutdown or between tests)."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any exception."""
        lock = self._write_lock if self._write_lock is not None else nullcontext()
        with lock, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """:meth:`transaction` on a bare Core connection, for the few hottest writes.

        The same unit of work (the process writer lock and ``BEGIN IMMEDIATE`` on SQLite,
        committed on success, rolled back on any exception) without an ORM session: for a
        bot turn's message, setting up, flushing and closing a session cost more CPU than
        its four statements. Only Core statements run here, and a row a caller needs locked
        on PostgreSQL is selected ``FOR UPDATE`` by the statement itself (e.g.
        ``conversation_state(conn, ..., lock=True)``).
        """
        lock = self._write_lock if self._write_lock is not None else nullcontext()
        with lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """:meth:`read` on a bare Core connection (a deferred ``BEGIN``, rolled back on exit)."""
        with self._read_engine.connect() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: one consistent snapshot that never waits for writers.

        For lookups that decide nothing by themselves (authentication, a conversation's state,
        snapshots for consoles). Anything that reads in order to write must use
        :meth:`transaction`, whose lock settles races. Changes made here are rolled back.
        """
        with self._read_sessions() as session:
            yield session  # closing the session rolls the snapshot back

    # --- conversations -------------------------------------------------------------------

    def conversation(
        self, s: Session, conversation_id: str, *, lock: bool = False
    ) -> m.Conversation:
        """Load a conversation (locked for update when ``lock``), or raise NotFound."""
        query = _CONVERSATION_FOR_UPDATE if lock else _CONVERSATION
        row = s.execute(query, {"conversation_id": conversation_id}).scalar_one_or_none()
        if row is None:
            raise NotFound("conversation", conversation_id)
        return row  # type: ignore[no-any-return]

    def conversation_state(
        self, s: Session | Connection, conversation_id: str, *, lock: bool = False
    ) -> str:
        """One conversation's state without loading the row, or raise NotFound.

        With ``lock`` the row is locked for update (PostgreSQL), as by
        ``conversation(..., lock=True)``: the state then stays as read until the commit.
        """
        query = _CONVERSATION_STATE_FOR_UPDATE if lock else _CONVERSATION_STATE
        state = s.execute(query, {"conversation_id": conversation_id}).scalar_one_or_none()
        if state is None:
            raise NotFound("conversation", conversation_id)
        return str(state)

    def conversation_by_session(self, s: Session | Connection, session_id: str) -> Row | None:
        """The row bound to a customer-facing session id, if any.

        Only the columns that decide who may resume it: ``id``, ``session_id``,
        ``customer_ref``, ``session_key_hash`` and ``state``.
        """
        return s.execute(_CONVERSATION_BY_SESSION, {"session_id": session_id}).one_or_none()

    def insert_conversation(self, s: Session | Connection, values: dict[str, Any]) -> None:
        """Insert a new conversation row with one Core ``INSERT`` (no unit-of-work flush).

        ``values`` must include the primary key ``id``; columns left out get their server
        default (NULL).
        """
        s.execute(_INSERT_CONVERSATION, values)

    def transition(
        self,
        s: Session,
        conv: m.Conversation,
        event_name: str,
        *,
        now: datetime,
        reason: str | None = None,
        agent_id: int | None = None,
        **values: Any,
    ) -> str:
        """Apply a state-machine event with a conditional update and record it.

        Args:
            s: Open transaction.
            conv: The conversation as read in this transaction.
            event_name: State-machine event.
            now: Time of the change (UTC).
            reason: Why, stored with the transition.
            agent_id: Acting agent, if any.
            **values: Other columns to set in the same update.

        Returns:
            The new state.

        Raises:
            InvalidTransition: The event is not allowed from the state read.
            ClaimConflict: Another transaction changed the state since it was read.
        """
        from_state = str(conv.state)
        to_state = next_state(from_state, event_name)
        with self._state_changes_lock:  # before the change: see ``state_changes``
            self._state_changes += 1
        result = s.execute(
            update(m.Conversation)
            .where(m.Conversation.id == conv.id, m.Conversation.state == from_state)
            .values(state=to_state, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise ClaimConflict(str(conv.id))
        s.add(
            m.Transition(
                conversation_id=conv.id,
                from_state=from_state,
                to_state=to_state,
                event=event_name,
                reason=reason,
                agent_id=agent_id,
                at=now,
            )
        )
        s.flush()
        s.refresh(conv)
        return to_state

    def transitions(self, s: Session, conversation_id: str) -> list[m.Transition]:
        """The audit trail of one conversation, oldest first."""
        return list(
            s.execute(
                select(m.Transition)
                .where(m.Transition.conversation_id == conversation_id)
                .order_by(m.Transition.id)
            ).scalars()
        )

    def waiting(self, s: Session, queues: Sequence[str] | None) -> list[m.Conversation]:
        """Queued conversations, requeued ones first, then longest waiting first."""
        query = select(m.Conversation).where(m.Conversation.state == "queued")
        if queues is not None:
            query = query.where(m.Conversation.queue.in_(list(queues)))
        query = query.order_by(
            m.Conversation.priority.desc(), m.Conversation.queued_at, m.Conversation.id
        )
        return list(s.execute(query).scalars())

    def owned(self, s: Session, agent_id: int) -> list[m.Conversation]:
        """Conversations an agent currently owns."""
        return list(
            s.execute(
                select(m.Conversation)
                .where(m.Conversation.owner_agent_id == agent_id, m.Conversation.state == "agent")
                .order_by(m.Conversation.updated_at)
            ).scalars()
        )

    def owned_count(self, s: Session, agent_id: int) -> int:
        """How many conversations an agent currently owns."""
        return int(
            s.execute(
                select(func.count())
                .select_from(m.Conversation)
                .where(m.Conversation.owner_agent_id == agent_id, m.Conversation.state == "agent")
            ).scalar_one()
        )

    # --- messages ------------------------------------------------------------------------

    def message_by_client_id(
        self, s: Session, conversation_id: str, client_msg_id: str
    ) -> m.Message | None:
        """The message a client already sent with this id, if any (idempotent retries)."""
        return s.execute(  # type: ignore[no-any-return]
            _MESSAGE_BY_CLIENT_ID,
            {"conversation_id": conversation_id, "client_msg_id": client_msg_id},
        ).scalar_one_or_none()

    def message_row_by_client_id(
        self, s: Session | Connection, conversation_id: str, client_msg_id: str
    ) -> Row | None:
        """:meth:`message_by_client_id` as a Core row (the same attributes, no ORM object)."""
        return s.execute(
            _MESSAGE_ROW_BY_CLIENT_ID,
            {"conversation_id": conversation_id, "client_msg_id": client_msg_id},
        ).one_or_none()

    def insert_message(self, s: Session | Connection, values: dict[str, Any]) -> int:
        """Insert a message row and make it the conversation's last message; returns its id.

        Two statements; the caller holds the conversation's row lock. A repeated
        ``client_msg_id`` makes the unique constraint raise ``IntegrityError``: the fast path
        (``HubService._record_plain``) has looked the id up under the lock before, and
        :meth:`add_message` runs this in a savepoint to turn a repeat into the stored message.

        Args:
            s: Open transaction (session or connection).
            values: Every column of :data:`_MESSAGE_FIELDS` (not ``id``).
        """
        message_id = int(s.execute(_INSERT_MESSAGE, values).inserted_primary_key[0])
        s.execute(
            _SET_LAST_MESSAGE,
            {"conversation_id": values["conversation_id"], "last_message_id": message_id},
        )
        return message_id

    def add_message(self, s: Session, message: m.Message) -> tuple[m.Message, bool]:
        """Insert a message; if its client id already exists, return the stored one instead.

        The caller holds the conversation row lock, so ids within a conversation are assigned
        and committed in order and a reader resuming after id N never misses a later commit.

        ``message`` is inserted with one Core ``INSERT`` (no unit-of-work flush) and gets its
        new ``id``; it stays detached from ``s``, like a view. A message without a client id
        has nothing to be idempotent about: :meth:`insert_message`'s two statements (insert,
        ``last_message_id``). With a client id they run in a savepoint; the unique constraint on
        ``(conversation_id, client_msg_id)`` turns a repeat into the stored message. Callers
        that answer repeats before validating (``HubService._record``) look the id up first.
        """
        values = {key: getattr(message, key) for key in _MESSAGE_FIELDS}
        if message.client_msg_id is None:
            message.id = self.insert_message(s, values)
        else:
            try:
                with s.begin_nested():
                    message.id = self.insert_message(s, values)
            except IntegrityError:
                existing = self.message_by_client_id(
                    s, message.conversation_id, message.client_msg_id
                )
                if existing is None:
                    raise
                return existing, False
        return message, True

    def messages_after(
        self, s: Session, conversation_id: str, after_id: int | None, limit: int | None = None
    ) -> list[m.Message]:
        """Messages with a server id above ``after_id`` (all when None), in id order."""
        query = select(m.Message).where(m.Message.conversation_id == conversation_id)
        if after_id is not None:
            query = query.where(m.Message.id > after_id)
        query = query.order_by(m.Message.id)
        if limit is not None:
            query = query.limit(limit)
        return list(s.execute(query).scalars())

    # --- handoffs ------------------------------------------------------------------------

    def handoff(self, s: Session, handoff_id: int | None) -> m.Handoff | None:
        """The routing episode by id."""
        if handoff_id is None:
            return None
        return s.get(m.Handoff, handoff_id)  # type: ignore[no-any-return]

    def recent_waits(self, s: Session, queue: str, since: datetime) -> list[float]:
        """Seconds from request to claim for claims in ``queue`` since ``since``."""
        rows = s.execute(
            select(m.Handoff.requested_at, m.Handoff.claimed_at).where(
                m.Handoff.queue == queue, m.Handoff.claimed_at >= since
            )
        ).all()
        return [(claimed - requested).total_seconds() for requested, claimed in rows]

    # --- agents --------------------------------------------------------------------------

    def agent(self, s: Session, agent_id: int, *, lock: bool = False) -> m.Agent:
        """Load an agent (locked for update when ``lock``), or raise NotFound."""
        query = select(m.Agent).where(m.Agent.id == agent_id)
        if lock:
            query = query.with_for_update()
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            raise NotFound("agent", agent_id)
        return row  # type: ignore[no-any-return]

    def agent_by_username(self, s: Session, username: str, *, lock: bool = False) -> m.Agent | None:
        """Load an agent by username."""
        query = select(m.Agent).where(m.Agent.username == username)
        if lock:
            query = query.with_for_update()
        return s.execute(query).scalar_one_or_none()  # type: ignore[no-any-return]

    def agents(self, s: Session) -> list[m.Agent]:
        """Every agent, by username."""
        return list(s.execute(select(m.Agent).order_by(m.Agent.username)).scalars())

    def online_agents(self, s: Session, seen_since: datetime) -> list[m.Agent]:
        """Active agents whose presence is online and whose hub was alive at ``seen_since``.

        An agent whose ``last_seen_at`` is older (or missing) belongs to a hub process that
        stopped without marking them offline, so nobody is actually there.
        """
        return list(
            s.execute(
                select(m.Agent).where(
                    m.Agent.active.is_(True),
                    m.Agent.presence == "online",
                    m.Agent.last_seen_at >= seen_since,
                )
            ).scalars()
        )

    def touch_agents(self, s: Session, agent_ids: Sequence[int], now: datetime) -> int:
        """Heartbeat: record that these agents' sockets are alive; returns rows updated."""
        if not agent_ids:
            return 0
        result = s.execute(
            update(m.Agent)
            .where(m.Agent.id.in_(list(agent_ids)))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)

    def session_by_token_hash(self, s: Session, token_hash: str) -> m.AgentSession | None:
        """An agent login session by the SHA-256 of its token."""
        return s.execute(  # type: ignore[no-any-return]
            select(m.AgentSession).where(m.AgentSession.token_hash == token_hash)
        ).scalar_one_or_none()

    def expired_disconnects(
        self, s: Session, cutoff: datetime, stale_cutoff: datetime
    ) -> list[m.Agent]:
        """Agents whose grace period is over.

        Either they disconnected (``disconnected_at``) before ``cutoff`` and are not back
        online, or they still look connected but no hub has seen them since ``stale_cutoff``
        (their hub died; ``stale_cutoff`` already includes the grace period) while they own
        conversations.
        """
        owners = select(m.Conversation.owner_agent_id).where(m.Conversation.state == "agent")
        return list(
            s.execute(
                select(m.Agent)
                .where(
                    or_(
                        (m.Agent.disconnected_at.is_not(None))
                        & (m.Agent.disconnected_at <= cutoff)
                        & (m.Agent.presence != "online"),
                        (m.Agent.presence != "offline")
                        & (m.Agent.last_seen_at.is_(None) | (m.Agent.last_seen_at <= stale_cutoff))
                        & m.Agent.id.in_(owners),
                    )
                )
                .with_for_update()
            ).scalars()
        )

    # --- tickets and ratings -------------------------------------------------------------

    def open_tickets(self, s: Session, queues: Sequence[str] | None) -> list[m.Ticket]:
        """Open tickets, oldest first, optionally for some queues only."""
        query = select(m.Ticket).where(m.Ticket.status == "open")
        if queues is not None:
            query = query.where(m.Ticket.queue.in_(list(queues)))
        return list(s.execute(query.order_by(m.Ticket.created_at, m.Ticket.id)).scalars())

    def tickets_for(self, s: Session, conversation_id: str) -> list[m.Ticket]:
        """Tickets left in one conversation."""
        return list(
            s.execute(
                select(m.Ticket)
                .where(m.Ticket.conversation_id == conversation_id)
                .order_by(m.Ticket.id)
            ).scalars()
        )

    def ticket(self, s: Session, ticket_id: int) -> m.Ticket:
        """Load a ticket or raise NotFound."""
        row = s.get(m.Ticket, ticket_id)
        if row is None:
            raise NotFound("ticket", ticket_id)
        return row  # type: ignore[no-any-return]

    def set_rating(self, s: Session, conversation_id: str, score: int, now: datetime) -> None:
        """Store or replace the CSAT score of a conversation."""
        row = s.get(m.Rating, conversation_id)
        if row is None:
            s.add(m.Rating(conversation_id=conversation_id, score=score, rated_at=now))
        else:
            row.score = score
            row.rated_at = now

    def rating(self, s: Session, conversation_id: str) -> int | None:
        """The CSAT score of a conversation, if rated."""
        row = s.get(m.Rating, conversation_id)
        return None if row is None else int(row.score)

    # --- aggregates for metrics ----------------------------------------------------------

    def handoff_counts(self, s: Session) -> dict[tuple[str, str, str], int]:
        """Bot-to-person handoff requests per (reason, queue, outcome)."""
        rows = s.execute(
            select(m.Handoff.reason, m.Handoff.queue, m.Handoff.outcome, func.count())
            .where(m.Handoff.kind == "handoff")
            .group_by(m.Handoff.reason, m.Handoff.queue, m.Handoff.outcome)
        ).all()
        return {(r, q, o): int(n) for r, q, o, n in rows}

    def message_counts(self, s: Session) -> dict[str, int]:
        """Stored messages per sender type."""
        rows = s.execute(
            select(m.Message.sender_type, func.count()).group_by(m.Message.sender_type)
        ).all()
        return {str(t): int(n) for t, n in rows}

    def containment(self, s: Session) -> tuple[int, int]:
        """(conversations with a customer message, those that never asked for a person).

        A request nobody could take (``no_agents``) still counts as not contained: the
        customer wanted a person, whether or not one was available.
        """
        talked = (
            select(m.Message.conversation_id)
            .where(m.Message.sender_type == "customer")
            .distinct()
            .subquery()
        )
        queued = (
            select(m.Handoff.conversation_id)
            .where(m.Handoff.kind == "handoff")
            .distinct()
            .subquery()
        )
        total = s.execute(select(func.count()).select_from(talked)).scalar_one()
        escalated = s.execute(
            select(func.count())
            .select_from(talked)
            .where(talked.c.conversation_id.in_(select(queued.c.conversation_id)))
        ).scalar_one()
        return int(total), int(total) - int(escalated)

    def recent_claims(self, s: Session, since: datetime) -> list[m.Handoff]:
        """Routing episodes claimed since ``since``."""
        return list(s.execute(select(m.Handoff).where(m.Handoff.claimed_at >= since)).scalars())

    def csat_counts(self, s: Session) -> dict[int, int]:
        """Ratings per score."""
        rows = s.execute(select(m.Rating.score, func.count()).group_by(m.Rating.score)).all()
        return {int(score): int(n) for score, n in rows}
