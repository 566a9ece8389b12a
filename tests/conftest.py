"""Shared fixtures: a seeded payments store on a temporary SQLite file, and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from store.db import create_engine_from_url, create_schema, make_session_factory
from store.repository import PaymentsRepository
from store.seed import seed_demo_data
from tests.store.pgcluster import Cluster, find_bindir, start_cluster


@pytest.fixture
def seed_today() -> date:
    """The reference day the demo data is seeded relative to (fixed, so tests are exact)."""
    return date(2026, 12, 1)


@pytest.fixture
def store_session_factory(tmp_path) -> Iterator[sessionmaker]:
    """An empty store (schema only) on a SQLite file private to the test."""
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'payassist.db'}")
    create_schema(engine)
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
    """URL of a fresh, empty database on the test cluster; dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine_from_url(postgres_cluster.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_cluster.url(name)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
