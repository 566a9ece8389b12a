import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from store.db import DEFAULT_SQLITE_PATH, create_engine_from_url, database_url_from_env


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        ({"DATABASE_URL": "  "}, f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        ({"DATABASE_URL": "sqlite:////tmp/x.db"}, "sqlite:////tmp/x.db"),
        ({"DATABASE_URL": "postgres://u:p@db/pay"}, "postgresql://u:p@db/pay"),
        ({"DATABASE_URL": "postgresql+psycopg2://u@db/pay"}, "postgresql+psycopg2://u@db/pay"),
    ],
)
def test_database_url_from_env(environ, expected):
    assert database_url_from_env(environ) == expected


def test_default_database_lives_under_var():
    assert DEFAULT_SQLITE_PATH.parent.name == "var"
    assert (DEFAULT_SQLITE_PATH.parents[1] / "store" / "db.py").exists()


def test_sqlite_engine_creates_parent_dir_and_sets_pragmas(tmp_path):
    path = tmp_path / "nested" / "dir" / "pay.db"
    engine = create_engine_from_url(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_file_engine_pools_connections_with_the_given_busy_timeout(tmp_path):
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'pay.db'}", busy_timeout_ms=10_000)
    try:
        assert isinstance(engine.pool, QueuePool)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_in_memory_sqlite_shares_one_database():
    engine = create_engine_from_url("sqlite://")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()
