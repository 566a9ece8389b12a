"""The migrations build exactly the models' schema, adopt old databases, and say when to run.

Both environments run these (``migrations`` imports only ``store.models`` and
``hub.persistence.models``).
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, MetaData, String, create_engine, inspect, text
from sqlalchemy.dialects import sqlite

from hub.persistence.models import UTCDateTime, hub_metadata
from migrations import runner
from migrations.__main__ import main
from migrations.metadata import TARGET_METADATA
from migrations.runner import (
    LegacySchemaMismatch,
    SchemaNotCurrent,
    current,
    head,
    require_current,
    upgrade,
)
from store.db import create_engine_from_url, make_session_factory
from store.models import Base
from store.seed import seed_demo_data
from tests.store.helpers import initial_hub_tables, initial_metadata

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _differences(url: str) -> list[Any]:
    """What autogenerate would write to turn the database into the models' schema."""
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diffs = compare_metadata(context, list(TARGET_METADATA))  # type: ignore[arg-type]
    finally:
        engine.dispose()
    # SQLite's own bookkeeping table for AUTOINCREMENT (hub_messages) is no table of ours.
    return [d for d in diffs if not (d[0] == "remove_table" and d[1].name == "sqlite_sequence")]


def _check_constraints(url: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Named CHECK constraints per table (autogenerate does not compare them): models, database.

    On SQLite the texts are compared too (they come back as written); on PostgreSQL, which
    rewrites them, only the names.
    """
    engine = create_engine(url, future=True)
    exact = engine.dialect.name == "sqlite"
    compiler = sqlite.dialect().ddl_compiler(sqlite.dialect(), None).sql_compiler

    def norm(sql: str) -> str:
        return re.sub(r"\s+", " ", sql).strip() if exact else ""

    try:
        inspector = inspect(engine)
        models, found = {}, {}
        for metadata in TARGET_METADATA:
            for table in metadata.sorted_tables:
                models[table.name] = {
                    str(c.name): norm(
                        compiler.process(c.sqltext, include_table=False, literal_binds=True)
                    )
                    for c in table.constraints
                    if isinstance(c, CheckConstraint)
                }
                found[table.name] = {
                    c["name"]: norm(c["sqltext"])
                    for c in inspector.get_check_constraints(table.name)
                }
    finally:
        engine.dispose()
    return models, found


def _sqlite_url(tmp_path: Path, name: str = "payassist.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def _old_database(url: str, *, payments: bool = True, hub: bool = True, heartbeat: bool = True):
    """A database as the start-up ``create_all`` of earlier releases left it."""
    engine = create_engine_from_url(url)
    if payments:
        Base.metadata.create_all(engine)
        seed_demo_data(make_session_factory(engine), date(2026, 12, 1))
    if hub:
        initial = initial_metadata()
        initial.create_all(engine, tables=initial_hub_tables(initial))
        if not heartbeat:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE hub_agents DROP COLUMN last_seen_at"))
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO hub_agents (username, display_name, role, queues, capacity,"
                    " password_hash, active, presence, failed_logins, created_at) VALUES"
                    " ('ana', 'Ana', 'agent', '[\"payments\"]', 2, 'x', true, 'offline', 0, :at)"
                ),
                {"at": NOW},
            )
    engine.dispose()


def _count(url: str, table: str) -> int:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
    finally:
        engine.dispose()


def test_the_migrations_build_the_models_schema_on_sqlite(tmp_path):
    url = _sqlite_url(tmp_path)
    assert upgrade(url) == head()
    assert upgrade(url) == head()  # idempotent
    assert current(url) == head()
    assert _differences(url) == []
    models, found = _check_constraints(url)
    assert found == models


@pytest.mark.postgres
def test_the_migrations_build_the_models_schema_on_postgres(postgres_url):
    assert upgrade(postgres_url) == head()
    assert upgrade(postgres_url) == head()
    assert current(postgres_url) == head()
    assert _differences(postgres_url) == []
    models, found = _check_constraints(postgres_url)
    assert found == models


def test_downgrade_to_nothing_and_back(tmp_path):
    url = _sqlite_url(tmp_path)
    upgrade(url)
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        command.downgrade(runner.alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version", "sqlite_sequence"}
    engine.dispose()
    assert current(url) is None
    upgrade(url)
    assert _differences(url) == []


@pytest.mark.parametrize(
    "old",
    [
        pytest.param({"heartbeat": False}, id="before-the-heartbeat-column"),
        pytest.param({}, id="last-release"),
        pytest.param({"hub": False}, id="seeded-hub-never-started"),
        pytest.param({"payments": False, "heartbeat": False}, id="hub-only"),
    ],
)
def test_a_database_made_before_migrations_is_stamped_and_upgraded(tmp_path, old, caplog):
    url = _sqlite_url(tmp_path)
    _old_database(url, **old)
    assert current(url) is None
    assert upgrade(url) == head()
    assert current(url) == head()
    assert _differences(url) == []
    if old.get("payments", True):
        assert _count(url, "customers") == 4  # the data is kept
    if old.get("hub", True):
        assert _count(url, "hub_agents") == 1
    assert f"stamped {runner.BASELINE}" in caplog.text


@pytest.mark.postgres
def test_an_old_postgres_database_is_stamped_and_upgraded(postgres_url):
    _old_database(postgres_url, heartbeat=False)
    assert upgrade(postgres_url) == head()
    assert _differences(postgres_url) == []
    assert _count(postgres_url, "hub_agents") == 1


@pytest.mark.parametrize(
    ("damage", "reported"),
    [
        ("ALTER TABLE customers DROP COLUMN phone", "add_column customers.phone"),
        ("ALTER TABLE hub_tickets ADD COLUMN extra INTEGER", "remove_column hub_tickets.extra"),
        ("DROP TABLE hub_ratings", "missing tables hub_ratings"),
    ],
)
def test_an_old_database_that_differs_is_refused_untouched(tmp_path, damage, reported):
    url = _sqlite_url(tmp_path)
    _old_database(url, heartbeat=False)
    with closing(sqlite3.connect(tmp_path / "payassist.db")) as conn:
        conn.execute(damage)
    with pytest.raises(LegacySchemaMismatch, match=re.escape(reported)) as info:
        upgrade(url)
    assert "cannot be stamped" in str(info.value)
    assert current(url) is None  # rolled back: not stamped, no column added
    engine = create_engine(url, future=True)
    columns = {c["name"] for c in inspect(engine).get_columns("hub_agents")}
    engine.dispose()
    assert "last_seen_at" not in columns


def test_require_current_says_what_to_run(tmp_path):
    missing = tmp_path / "absent.db"
    with pytest.raises(SchemaNotCurrent) as info:
        require_current(f"sqlite:///{missing}")
    assert str(info.value) == (
        "database schema is at no revision (empty, or made before migrations), "
        f"code needs {head()}: run `make migrate`"
    )
    assert not missing.exists()  # checking creates nothing

    url = _sqlite_url(tmp_path)
    _old_database(url)
    with pytest.raises(SchemaNotCurrent):
        require_current(url)
    upgrade(url)
    require_current(url)

    engine = create_engine(url, future=True)
    with engine.begin() as conn:  # a database migrated by newer code
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaNotCurrent, match=f"is at 9999, code needs {head()}") as info:
        require_current(url)
    assert info.value.current_revision == "9999"


def _upgrade_and_report(url: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        results.put(upgrade(url))
    except Exception as exc:  # reported by the test's assert
        results.put(repr(exc))


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize("runs_in", ["processes", "threads"])
def test_services_starting_together_migrate_once(tmp_path, backend, runs_in, request):
    url = _sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("postgres_url")
    workers = 3
    # Forked processes share nothing but the database (its lock orders them); threads also
    # share Alembic's process-wide state (the runner's own lock orders them).
    ctx: Any = multiprocessing.get_context("fork") if runs_in == "processes" else None
    barrier = ctx.Barrier(workers) if ctx else threading.Barrier(workers)
    results = ctx.Queue() if ctx else queue.Queue()
    make = ctx.Process if ctx else threading.Thread
    started = [
        make(target=_upgrade_and_report, args=(url, barrier, results)) for _ in range(workers)
    ]
    for worker in started:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(workers)]
    for worker in started:
        worker.join(timeout=60)
    assert outcomes == [head()] * workers
    assert _differences(url) == []


def test_an_in_memory_database_is_migrated_through_its_engine():
    engine = create_engine_from_url("sqlite://")  # foreign keys on, one shared connection
    try:
        assert upgrade(engine) == head()
        assert current(engine) == head()
        assert "hub_agents" in inspect(engine).get_table_names()
        with engine.connect() as conn:  # the caller's pragma is restored
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="pass that engine"):
        upgrade("sqlite://")


def test_cli(tmp_path, capsys):
    url = _sqlite_url(tmp_path)
    assert main(["check", "--database-url", url]) == 1
    assert "run `make migrate`" in capsys.readouterr().err
    assert main(["current", "--database-url", url]) == 0
    assert capsys.readouterr().out.strip() == "none"
    assert main(["upgrade", "--database-url", url]) == 0
    assert f"schema at {head()}" in capsys.readouterr().out
    assert main(["check", "--database-url", url]) == 0
    assert main(["current", "--database-url", url]) == 0
    assert capsys.readouterr().out.strip().endswith(head())
    unreachable = f"postgresql+psycopg2://nobody:secret@/x?host={tmp_path}&port=1"
    assert main(["upgrade", "--database-url", unreachable]) == 2
    err = capsys.readouterr().err
    assert "ERROR" in err
    assert "secret" not in err


@pytest.fixture
def scratch_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of migrations/ to write revisions into (the repository's stays untouched)."""
    copy = tmp_path / "migrations"
    shutil.copytree(
        runner.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    monkeypatch.setattr(runner, "MIGRATIONS_DIR", copy)
    return copy


def test_a_model_change_becomes_a_batch_revision(
    scratch_migrations: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
):
    changed = MetaData()
    for table in hub_metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["hub_agents"].append_column(Column("nickname", String(40), nullable=True))
    changed.tables["hub_agents"].append_column(Column("away_since", UTCDateTime(), nullable=True))
    monkeypatch.setattr("migrations.metadata.TARGET_METADATA", (Base.metadata, changed))

    previous = head()
    following = f"{int(previous) + 1:04d}"
    assert main(["revision", "-m", "agent nickname"]) == 0
    assert f"{following}_agent_nickname.py" in capsys.readouterr().out
    script = (scratch_migrations / "versions" / f"{following}_agent_nickname.py").read_text()
    assert (
        f"down_revision: str | None = '{previous}'" in script
        or f'down_revision: str | None = "{previous}"' in script
    )
    assert 'batch_alter_table("hub_agents"' in script
    assert "sa.DateTime(timezone=True)" in script  # the plain type, not the models' class
    assert "hub.persistence.models" not in script

    url = _sqlite_url(tmp_path, "next.db")
    assert upgrade(url) == following
    engine = create_engine(url, future=True)
    columns = {c["name"] for c in inspect(engine).get_columns("hub_agents")}
    engine.dispose()
    assert {"nickname", "away_since"} <= columns


def test_migrated_template_fixture_is_at_head(migrated_sqlite: Callable[..., str]):
    url = migrated_sqlite("copy.db")
    assert current(url) == head()
