"""Small typed helpers for the store tests."""

from __future__ import annotations

import importlib.util
from typing import TypeVar

from sqlalchemy import MetaData

from migrations.runner import MIGRATIONS_DIR

T = TypeVar("T")
INITIAL_REVISION = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def must(value: T | None) -> T:
    """The value, failing the test (not raising AttributeError later) when it is None."""
    assert value is not None
    return value


def initial_metadata() -> MetaData:
    """The schema of revision 0001 (what the pre-migration ``create_all`` made), frozen there.

    Databases "made before migrations" in tests are built from it, never from the models,
    which move on with later revisions.
    """
    spec = importlib.util.spec_from_file_location("revision_0001", INITIAL_REVISION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    metadata = MetaData()
    module.build(metadata)
    return metadata


def initial_hub_tables(metadata: MetaData) -> list:  # type: ignore[type-arg]
    """The hub's tables of a :func:`initial_metadata`."""
    return [t for name, t in metadata.tables.items() if name.startswith("hub_")]
