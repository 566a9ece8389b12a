"""Engine and sessions for any SQLAlchemy URL (SQLite by default, PostgreSQL to scale).

Nothing here runs at import time: services call ``database_url_from_env()`` once at start-up and
inject the session factory where it is needed. Tables are made and changed only by the
migrations (``migrations/``, ``make migrate``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

from common.sqlite_wal import enable_wal

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "payassist.db"
SQLITE_BUSY_TIMEOUT_MS = 5000


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Return ``DATABASE_URL`` if set, else the SQLite file under ``var/`` (git-ignored).

    Args:
        environ: The environment to read; ``os.environ`` when omitted (tests pass a dict).
    """
    env = os.environ if environ is None else environ
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if url.startswith("postgres://"):  # Heroku-style alias SQLAlchemy 1.4 no longer accepts
        url = "postgresql://" + url[len("postgres://") :]
    return url


def _is_memory_sqlite(database: str | None) -> bool:
    return not database or database == ":memory:" or "mode=memory" in database


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """The ``connect`` hook setting every new SQLite connection's pragmas.

    WAL lets the action server read while the importer or the hub writes; foreign keys are off
    by default in SQLite.
    """

    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            enable_wal(cursor, busy_timeout_ms / 1000)
            # With WAL, NORMAL syncs at checkpoints instead of on every commit: a commit
            # survives a crash of the process (it is in the WAL file); only an OS crash or
            # power cut can lose the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    return set_pragmas


def create_engine_from_url(
    url: str, *, echo: bool = False, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    """Create a 2.0-style engine with the settings each backend needs.

    SQLite: creates the file's parent directory, enables WAL, ``busy_timeout`` (how long a
    writer waits for another process's lock) and foreign keys, pools file connections, and
    shares one connection for in-memory databases (otherwise each connection would see an
    empty database). Other backends get ``pool_pre_ping`` so a restarted server is survived.
    """
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return create_engine(url, future=True, echo=echo, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if _is_memory_sqlite(sa_url.database):
        kwargs["poolclass"] = StaticPool
    else:
        Path(str(sa_url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file databases a NullPool: a new connection (plus the pragmas
        # below) for every session, ~0.8 ms of each action call. Pool them, as 2.0 does.
        kwargs.update(poolclass=QueuePool, pool_size=5, max_overflow=10)
    engine = create_engine(url, future=True, echo=echo, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions in 2.0 style; objects stay readable after commit (views are built after it)."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)
