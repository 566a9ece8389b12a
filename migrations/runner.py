"""Bring a database's schema to the code's revision, or check that it is there.

The payments tables (``store.models``) and the hub's (``hub.persistence.models``) share one
database and one migration history (``migrations/versions/``). Services never create tables:
``make migrate`` (``python -m migrations upgrade``) migrates, the hub checks with
:func:`require_current` at start-up, and the admin commands that fill a database (seed,
importer, agents) upgrade first.

:func:`upgrade` runs in one transaction that holds the database's migration lock
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so processes that start together
migrate one after the other and the later ones find nothing to do. A database made by the old
start-up ``create_all`` (our tables, no ``alembic_version``) is checked against the initial
revision, completed where the old start-up would have done it (see
:data:`LEGACY_ADDED_COLUMNS`), stamped and then upgraded; a mismatch is refused, not guessed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeAlias

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from common.sqlite_wal import enable_wal

log = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent
# The revision a database made by the pre-migration ``create_all`` is stamped with.
BASELINE: Final = "0001"
# Nullable columns the pre-migration hub added at start-up with an explicit ALTER TABLE; a
# database last opened by an older hub lacks them, so adopting it adds them.
LEGACY_ADDED_COLUMNS: Final = frozenset({("hub_agents", "last_seen_at")})
# Key of the PostgreSQL advisory lock held while migrating ("payassis" as a 64-bit integer).
PG_LOCK_KEY: Final = int.from_bytes(b"payassis", "big")
# How long a migrating SQLite process waits for another one's lock.
SQLITE_LOCK_TIMEOUT_MS: Final = 120_000

# A URL, or an engine for a database only it can reach (in-memory SQLite).
Database: TypeAlias = str | Engine
# Alembic's ``context`` and ``op`` are process-wide proxies: one migration at a time per process.
_ALEMBIC_LOCK: Final = threading.Lock()


class SchemaError(RuntimeError):
    """The database's schema cannot be used or migrated as it is."""


class SchemaNotCurrent(SchemaError):
    """The database is not at the revision this code needs."""

    def __init__(self, current_revision: str | None, head_revision: str) -> None:
        self.current_revision = current_revision
        self.head_revision = head_revision
        shown = current_revision or "no revision (empty, or made before migrations)"
        super().__init__(
            f"database schema is at {shown}, code needs {head_revision}: run `make migrate`"
        )


class LegacySchemaMismatch(SchemaError):
    """Tables without a recorded revision that differ from the initial revision."""

    def __init__(self, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(
            "the database has tables made before migrations (no alembic_version) that differ "
            f"from revision {BASELINE}, so it cannot be stamped: " + "; ".join(differences)
        )


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (no ``alembic.ini``).

    Args:
        connection: The connection ``env.py`` runs the migrations on (see :func:`upgrade`).
    """
    config = Config()
    # ConfigParser interpolates "%": escape the path, keep the template's placeholders.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The revision the code needs (raises when the history has several heads)."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise SchemaError(f"no migrations found in {MIGRATIONS_DIR / 'versions'}")
    return revision


def current(database: Database) -> str | None:
    """The database's revision; None when it has none (empty, or made before migrations).

    Reads only: a SQLite file that does not exist is not created.
    """
    if isinstance(database, str) and _missing_sqlite_file(database):
        return None
    engine, owned = _engine_for(database, migrating=False)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def require_current(database: Database) -> None:
    """Raise :class:`SchemaNotCurrent` unless the database is at :func:`head`."""
    needed = head()
    found = current(database)
    if found != needed:
        raise SchemaNotCurrent(found, needed)


def is_in_memory(url: str) -> bool:
    """Whether ``url`` is an in-memory SQLite database (migrate it through its engine)."""
    sa_url = make_url(url)
    database = sa_url.database
    return sa_url.get_backend_name() == "sqlite" and (
        not database or database == ":memory:" or "mode=memory" in database
    )


def upgrade(database: Database) -> str:
    """Migrate the database to :func:`head`; idempotent and safe for concurrent callers.

    Args:
        database: A URL, or an engine for a database only it can reach (in-memory SQLite).
            With a URL the runner uses its own engine, which holds the migration lock and
            leaves SQLite's foreign keys off, as table rebuilds (batch mode) require.

    Returns:
        The revision the database is at afterwards.
    """
    with _ALEMBIC_LOCK, _migration_connection(database) as conn:
        _adopt_pre_migration_schema(conn)
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(alembic_config(conn), "head")
        after = MigrationContext.configure(conn).get_current_revision()
    if after != before:
        log.info("database schema migrated from %s to %s", before or "nothing", after)
    return str(after)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave alone tables of other programs that share the database (never drop them)."""
    return not (type_ == "table" and reflected and compare_to is None)


def baseline_metadata() -> MetaData:
    """The tables of the initial revision, as its migration defines them."""
    script = ScriptDirectory.from_config(alembic_config()).get_revision(BASELINE)
    if script is None:
        raise SchemaError(f"revision {BASELINE} is missing from {MIGRATIONS_DIR / 'versions'}")
    metadata = MetaData()
    script.module.build(metadata)
    return metadata


def _adopt_pre_migration_schema(conn: Connection) -> None:
    """Stamp a database made by the old start-up ``create_all`` with :data:`BASELINE`.

    Our tables come in two groups, each created whole by its own service before migrations:
    the payments tables (seed, importer) and the hub's (``hub_*``). A group may be missing
    entirely (a demo database the hub never opened); it is created as the initial revision
    creates it. Anything else that differs from the initial revision is refused.
    """
    context = MigrationContext.configure(conn)
    if context.get_current_revision() is not None:
        return
    baseline = baseline_metadata()
    present = set(baseline.tables) & set(inspect(conn).get_table_names())
    if not present:
        return  # empty database: the migrations create everything
    groups = [
        {t for t in baseline.tables if t.startswith("hub_")},
        {t for t in baseline.tables if not t.startswith("hub_")},
    ]
    missing: set[str] = set()
    problems: list[str] = []
    for group in groups:
        absent = group - present
        if absent == group:
            missing |= group
        elif absent:
            problems.append("missing tables " + ", ".join(sorted(absent)))
    compare = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": include_object}
    )
    to_add = []
    for diff in _flatten(compare_metadata(compare, baseline)):
        if _table_name(diff) in baseline.tables.keys() - present:
            continue  # a table of a missing group (created below) or reported above
        if diff[0] == "add_column" and (diff[2], diff[3].name) in LEGACY_ADDED_COLUMNS:
            to_add.append((diff[2], diff[3]))
        else:
            problems.append(_describe(diff))
    if problems:
        raise LegacySchemaMismatch(problems)
    for table in baseline.sorted_tables:
        if table.name in missing:
            context.impl.create_table(table)
    operations = Operations(context)
    for table_name, column in to_add:
        operations.add_column(table_name, Column(column.name, column.type, nullable=True))
    context.stamp(ScriptDirectory.from_config(alembic_config()), BASELINE)
    log.warning(
        "adopted a database made before migrations: stamped %s%s%s",
        BASELINE,
        f", created {', '.join(sorted(missing))}" if missing else "",
        f", added {', '.join(f'{t}.{c.name}' for t, c in to_add)}" if to_add else "",
    )


def _flatten(diffs: list[Any]) -> Iterator[tuple[Any, ...]]:
    # Column modifications come as a list of tuples per column.
    for diff in diffs:
        if isinstance(diff, list):
            yield from diff
        else:
            yield diff


def _table_name(diff: tuple[Any, ...]) -> str:
    """The table an autogenerate difference is about."""
    kind, subject = diff[0], diff[1]
    if kind in ("add_table", "remove_table"):
        return str(subject.name)
    if kind in ("add_fk", "remove_fk"):
        return str(subject.parent.name)
    if hasattr(subject, "table"):  # indexes and constraints
        return str(subject.table.name)
    return str(diff[2])  # columns: (kind, schema, table, ...)


def _describe(diff: tuple[Any, ...]) -> str:
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return f"{kind} {diff[1].name}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {diff[2]}.{diff[3].name}"
    if kind.startswith("modify_"):
        return f"{kind} {diff[2]}.{diff[3]}: database {diff[5]!r}, revision {diff[6]!r}"
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
        return f"{kind} {diff[1].name} on {diff[1].table.name}"
    if kind in ("add_fk", "remove_fk"):
        return f"{kind} on {diff[1].parent.name}"
    return repr(diff)


@contextmanager
def _migration_connection(database: Database) -> Iterator[Connection]:
    """A connection inside a transaction that holds the database's migration lock."""
    if isinstance(database, str):
        _sqlite_parent_dir(database)
    engine, owned = _engine_for(database, migrating=True)
    try:
        with engine.connect() as conn:
            restore_foreign_keys = not owned and _sqlite_foreign_keys_off(conn)
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY}
                        )
                    yield conn
            finally:
                if restore_foreign_keys:
                    conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    finally:
        if owned:
            engine.dispose()


def _engine_for(database: Database, *, migrating: bool) -> tuple[Engine, bool]:
    """The engine to use and whether this module owns it (and disposes of it)."""
    if isinstance(database, Engine):
        return database, False
    if is_in_memory(database):
        raise ValueError(
            "an in-memory SQLite database exists only inside its engine: pass that engine"
        )
    engine = create_engine(database, future=True, poolclass=NullPool)
    if not migrating or engine.dialect.name != "sqlite":
        return engine, True
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine, True


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys stay off (SQLite's default): with them on, the DROP TABLE of a batch-mode
    # table rebuild would cascade-delete the rows referencing it. The driver's implicit
    # transactions are off so that ``begin`` below is the only BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_TIMEOUT_MS}")
        enable_wal(cursor, SQLITE_LOCK_TIMEOUT_MS / 1000)
    finally:
        cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Takes the write lock up front: a second migrating process waits here, then finds the
    # database at head.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_foreign_keys_off(conn: Connection) -> bool:
    """Turn foreign keys off on a caller's SQLite connection; True when they were on."""
    if conn.dialect.name != "sqlite":
        return False
    raw = conn.connection.dbapi_connection
    if raw.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
        return False
    raw.execute("PRAGMA foreign_keys=OFF")
    return True


def _sqlite_file(url: str) -> Path | None:
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite" or is_in_memory(url):
        return None
    return Path(str(sa_url.database)).expanduser()


def _missing_sqlite_file(url: str) -> bool:
    path = _sqlite_file(url)
    return path is not None and not path.exists()


def _sqlite_parent_dir(url: str) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
