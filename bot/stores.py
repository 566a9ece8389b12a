"""Where Rasa keeps dialogue state: its own ``SQLTrackerStore`` and, with Redis, ``RedisLockStore``.

Rasa 3.6 expands ``${VAR}`` in ``endpoints.yml`` but has no default syntax and fails when a
variable is unset, so the stores cannot be written into the checked-in file. Instead
``python -m bot.server run`` (the only way this project starts Rasa) reads the endpoints file it
was given, adds the stores from the environment, and hands Rasa a generated copy:

- ``tracker_store``: Rasa's ``SQLTrackerStore`` (as :data:`TRACKER_STORE_TYPE`, which checks
  a conversation's rows instead of re-reading them every turn: ``bot/tracker_cache.py``) with
  ``TRACKER_STORE_URL`` (any SQLAlchemy URL; default ``sqlite:///<repo>/var/tracker.db``, so a
  restarted ``make run`` keeps every conversation's slots, form and pause). Rasa passes the
  ``url`` key to the store as ``host``, which takes a full URL.
- ``lock_store``: ``type: redis`` on ``REDIS_URL`` when it is set (several Rasa servers), else
  Rasa's in-memory lock store. Rasa's open-source Redis lock store is not atomic across
  instances (RasaHQ/rasa#9213); the hub keeps each conversation's bot turns in order itself
  (docs/deployment.md, "Order of a conversation's turns").

A store already configured in the given file wins: nothing here overrides an operator's choice.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]

from common.sqlite_wal import enable_wal

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
GENERATED_DIR: Final = REPO_ROOT / "var" / "run"
# Rasa's SQLTrackerStore (same table, same rows), remembering each conversation's rows.
TRACKER_STORE_TYPE: Final = "bot.tracker_cache.CachedSQLTrackerStore"
_SQL_TYPES: Final = {"sql", TRACKER_STORE_TYPE.lower()}
_TUNED: set[str] = set()  # tracker files whose connections get the pragmas
# How long a connection to the SQLite tracker file waits for another one's lock.
TRACKER_BUSY_TIMEOUT_MS: Final = 5000


class StoreConfigError(ValueError):
    """``TRACKER_STORE_URL`` or ``REDIS_URL`` cannot be used."""


def default_tracker_store_url() -> str:
    """The embedded default: an SQLite file beside the demo database."""
    return f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"


def tracker_store_url(environ: Mapping[str, str]) -> str:
    """``TRACKER_STORE_URL`` or the SQLite default, spelled as Rasa's SQLAlchemy wants."""
    url = (environ.get("TRACKER_STORE_URL") or "").strip() or default_tracker_store_url()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql+psycopg://"):
        # Rasa's environment has psycopg2 (the hub's URL family may name psycopg 3).
        url = "postgresql+psycopg2://" + url[len("postgresql+psycopg://") :]
    if "://" not in url:
        raise StoreConfigError(f"TRACKER_STORE_URL is not an SQLAlchemy URL: {url!r}")
    return url


def redis_lock_store(redis_url: str) -> dict[str, Any]:
    """Rasa's ``lock_store`` section for a ``redis://[:password@]host:port/db`` URL."""
    parts = urlsplit(redis_url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise StoreConfigError(f"REDIS_URL must look like redis://host:port/db, got {redis_url!r}")
    section: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname,
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
        "key_prefix": "payassist",
    }
    if parts.password:
        section["password"] = parts.password
    if parts.scheme == "rediss":
        section["use_ssl"] = True
    return section


def with_stores(endpoints: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """``endpoints`` plus the tracker store and (with ``REDIS_URL``) the lock store."""
    merged = dict(endpoints)
    if "tracker_store" not in merged:
        merged["tracker_store"] = {"type": TRACKER_STORE_TYPE, "url": tracker_store_url(environ)}
    redis_url = (environ.get("REDIS_URL") or "").strip()
    if redis_url and "lock_store" not in merged:
        merged["lock_store"] = redis_lock_store(redis_url)
    return merged


def sqlite_path(url: str) -> Path | None:
    """The file of an ``sqlite:///`` URL (None for other databases and in-memory SQLite)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url not in {"sqlite:///:memory:", "sqlite:///"}:
        return Path(url[len(prefix) :].split("?", 1)[0])
    return None


def tune_sqlite_tracker(url: str) -> None:
    """WAL and ``synchronous=NORMAL`` on the SQLite tracker file, for every Rasa engine on it.

    Rasa creates its tracker engine itself, with SQLite's defaults: a rollback journal and an
    fsync on every commit, which made a turn cost ~35 ms more on a busy disk
    (``bench.cluster_tracker``). With WAL and ``NORMAL`` a commit is durable against a crashed
    or killed process (what ``make run`` must survive); only an operating-system crash can lose
    the last turns. Other SQLite files in the process (the payments store) are left alone:
    the listener checks which file each new connection opened. PostgreSQL keeps its defaults.
    """
    path = sqlite_path(url)
    if path is None:
        return
    target = str(path.resolve())
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        cursor = dbapi_connection.cursor()
        try:
            files = [row[2] for row in cursor.execute("PRAGMA database_list").fetchall()]
            if target in files:
                cursor.execute(f"PRAGMA busy_timeout={TRACKER_BUSY_TIMEOUT_MS}")
                enable_wal(cursor, TRACKER_BUSY_TIMEOUT_MS / 1000)
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    if target not in _TUNED:
        _TUNED.add(target)
        event.listen(Engine, "connect", on_connect)
        _keep_connections_open()


def _keep_connections_open() -> None:
    """Give Rasa's SQLite tracker engine a connection per thread that stays open.

    Rasa 3.6 creates a file SQLite engine without a pool (SQLAlchemy 1.4's default), so every
    ``retrieve`` and ``save`` opens the file, and closing the last connection checkpoints the
    WAL. ``rasa.core.tracker_store.create_engine_kwargs`` is the one hook Rasa calls for its
    engine's options (module-level, version-guarded like every patch: ``bot.server`` applies
    this only after ``bot.patches`` accepted the installed Rasa).
    """
    from rasa.core import tracker_store
    from sqlalchemy.pool import SingletonThreadPool

    stock = tracker_store.create_engine_kwargs
    if getattr(stock, "payassist_sqlite", False):
        return

    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = dict(stock(url))
        if str(url).startswith("sqlite:///") and str(url) != "sqlite:///:memory:":
            kwargs.setdefault("poolclass", SingletonThreadPool)
        elif str(url).startswith("postgres"):
            # After PostgreSQL restarts, pooled connections are dead: test each before use,
            # so the first turn after an outage does not fail on a stale connection.
            kwargs.setdefault("pool_pre_ping", True)
        return kwargs

    create_engine_kwargs.payassist_sqlite = True  # type: ignore[attr-defined]
    tracker_store.create_engine_kwargs = create_engine_kwargs


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of an SQLite tracker file (Rasa does not)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def write_endpoints(source: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Write ``source`` plus the stores to ``var/run/`` (0600: it may hold passwords); its path."""
    env = os.environ if environ is None else environ
    loaded = yaml.safe_load(source.read_text(encoding="utf-8")) if source.exists() else None
    if loaded is not None and not isinstance(loaded, dict):
        raise StoreConfigError(f"{source} must contain a mapping")
    merged = with_stores(loaded or {}, env)
    tracker = merged["tracker_store"]
    if isinstance(tracker, dict) and isinstance(tracker.get("url"), str):
        ensure_sqlite_dir(tracker["url"])
        if str(tracker.get("type", "")).lower() in _SQL_TYPES:
            _keep_connections_open()  # engine options for SQLite and PostgreSQL alike
            tune_sqlite_tracker(tracker["url"])
    GENERATED_DIR.mkdir(parents=True, exist_ok=True)
    target = GENERATED_DIR / f"endpoints.{os.getpid()}.yml"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# Generated by bot.server from {source}; do not edit.\n")
        yaml.safe_dump(merged, handle, sort_keys=False)
    atexit.register(_remove, target)
    return target


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def rewrite_run_args(argv: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """For ``run``: ``argv`` with ``--endpoints`` pointing at a generated file with the stores.

    Other commands (``shell``, ``test``...) are returned unchanged.
    """
    if not argv or argv[0] != "run":
        return argv
    args = list(argv)
    source = REPO_ROOT / "endpoints.yml"
    for index, arg in enumerate(args):
        if arg == "--endpoints" and index + 1 < len(args):
            source = Path(args[index + 1])
            args[index + 1] = str(write_endpoints(source, environ))
            return args
        if arg.startswith("--endpoints="):
            source = Path(arg.split("=", 1)[1])
            args[index] = f"--endpoints={write_endpoints(source, environ)}"
            return args
    return [*args, "--endpoints", str(write_endpoints(source, environ))]
