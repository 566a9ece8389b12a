"""HubStore: the hub's database, its transactions, and one repository per aggregate.

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

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from hub.persistence.agents import AgentRepository
from hub.persistence.conversations import ConversationRepository
from hub.persistence.handoffs import HandoffRepository
from hub.persistence.messages import MessageRepository
from hub.persistence.stats import StatsQueries
from hub.persistence.tickets import TicketRepository
from store.db import create_engine_from_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option on the engine the read-only sessions use; the ``begin`` hook then issues a
# deferred ``BEGIN`` instead of ``BEGIN IMMEDIATE``.
READ_ONLY_OPTION: Final = "payassist_read_only"


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
    """The hub's database: transactions, and the repositories that run inside them.

    Repositories (``conversations``, ``handoffs``, ``messages``, ``agents``, ``tickets``,
    ``stats``) hold no connection: every method takes the caller's open transaction.

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
        self.conversations = ConversationRepository(self.count_state_change)
        self.handoffs = HandoffRepository()
        self.messages = MessageRepository()
        self.agents = AgentRepository()
        self.tickets = TicketRepository()
        self.stats = StatsQueries()

    @property
    def state_changes(self) -> int:
        """How many state transitions this store has started (``ConversationRepository``).

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

    def count_state_change(self) -> None:
        """Called by every transition before its update (see :attr:`state_changes`)."""
        with self._state_changes_lock:
            self._state_changes += 1

    @classmethod
    def from_url(cls, url: str) -> HubStore:
        """Open the store at ``url``; its tables come from the migrations (``make migrate``)."""
        return cls(create_hub_engine(url))

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
