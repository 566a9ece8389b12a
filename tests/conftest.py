"""Shared fixtures: migrated SQLite files, a seeded payments store, and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from migrations.runner import upgrade
from store.db import create_engine_from_url, make_session_factory
from store.repository import PaymentsRepository
from store.seed import seed_demo_data
from tests.store.pgcluster import Cluster, find_bindir, start_cluster

try:
    # Sanic (which Rasa imports) calls filterwarnings("once", DeprecationWarning) when it is
    # imported, which puts that filter in front of pyproject's filters. pytest applies those
    # before it loads the initial conftests (this one, then tests/bot's, which imports Rasa),
    # so every deprecation a library raised at import after Sanic was printed in the summary.
    # Import Sanic first, then put the project's filter back in front of Sanic's.
    import sanic.app  # noqa: F401
except ImportError:  # the hub's environment has no Sanic
    pass
else:
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture
def blas_threads() -> Iterator[Callable[[], set[int]]]:
    """numpy's BLAS thread counts, as a callable; every count is put back after the test."""
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl reads and limits
    from threadpoolctl import threadpool_info, threadpool_limits

    def counts() -> set[int]:
        return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}

    before = {info["filepath"]: info["num_threads"] for info in threadpool_info()}
    yield counts
    for info in threadpool_info():
        if info["filepath"] in before:
            threadpool_limits(limits=before[info["filepath"]], user_api=info["user_api"])


@pytest.fixture
def fresh_python() -> Callable[[str], str]:
    """Run a script in a fresh interpreter at the repository root; its stdout, stripped.

    For process-wide settings (thread pools, interpreter switches) a test must not change in
    the test process itself.
    """
    repo = Path(__file__).resolve().parents[1]

    def run(script: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed argv, this interpreter
            [sys.executable, "-c", script],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    return run


@pytest.fixture
def seed_today() -> date:
    """The reference day the demo data is seeded relative to (fixed, so tests are exact)."""
    return date(2026, 12, 1)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (see ``migrated_sqlite``)."""
    path = tmp_path_factory.mktemp("schema") / "head.db"
    upgrade(f"sqlite:///{path}")
    assert not path.with_name("head.db-wal").exists()  # all in the file, safe to copy
    return path


@pytest.fixture
def migrated_sqlite(migrated_template: Path, tmp_path: Path) -> Callable[..., str]:
    """Make SQLite files private to the test, at head: ``migrated_sqlite("x.db") -> URL``.

    Each is a copy of the session's migrated file: about 1 ms instead of ~50 ms of Alembic.
    """

    def make(name: str = "payassist.db") -> str:
        target = tmp_path / name
        shutil.copyfile(migrated_template, target)
        return f"sqlite:///{target}"

    return make


@pytest.fixture
def store_session_factory(migrated_sqlite: Callable[..., str]) -> Iterator[sessionmaker]:
    """An empty store (schema only) on a SQLite file private to the test."""
    engine = create_engine_from_url(migrated_sqlite("payassist.db"))
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def payments_repository(store_session_factory, seed_today) -> PaymentsRepository:
    """A repository over the demo data set (cus_alice, cus_bob, cus_carmen, cus_dan)."""
    seed_demo_data(store_session_factory, seed_today)
    return PaymentsRepository(store_session_factory)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster per test session (Debian package ``postgresql``).

    Skips when the binaries are absent, except in CI (``CI`` set), where it fails loudly.
    """
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL binaries not found (apt-get install -y postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = start_cluster(bindir)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> Iterator[str]:
    """URL of a fresh, empty database on the test cluster (no tables); dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine_from_url(postgres_cluster.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_cluster.url(name)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrated_postgres_url(postgres_url: str) -> str:
    """URL of a fresh database on the test cluster, migrated to head; dropped afterwards."""
    upgrade(postgres_url)
    return postgres_url
