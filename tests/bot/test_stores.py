"""``bot.stores``: the tracker and lock stores ``python -m bot.server run`` gives Rasa."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import stores

REPO = Path(__file__).resolve().parents[2]


def test_default_is_an_sqlite_file_under_var() -> None:
    url = stores.tracker_store_url({})
    assert url == f"sqlite:///{REPO / 'var' / 'tracker.db'}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/rasa", "postgresql://u:p@db:5432/rasa"),
        ("postgresql+psycopg://u@db/rasa", "postgresql+psycopg2://u@db/rasa"),
        ("postgresql+psycopg2://u@/rasa?host=/tmp", "postgresql+psycopg2://u@/rasa?host=/tmp"),
    ],
)
def test_url_spellings(given: str, expected: str) -> None:
    assert stores.tracker_store_url({"TRACKER_STORE_URL": given}) == expected


def test_a_url_without_scheme_is_refused() -> None:
    with pytest.raises(stores.StoreConfigError, match="TRACKER_STORE_URL"):
        stores.tracker_store_url({"TRACKER_STORE_URL": "var/tracker.db"})


def test_redis_lock_store_section() -> None:
    section = stores.redis_lock_store("redis://:s3cret@10.0.0.5:6380/2")
    assert section == {
        "type": "redis",
        "url": "10.0.0.5",
        "port": 6380,
        "db": 2,
        "key_prefix": "payassist",
        "password": "s3cret",
    }
    with pytest.raises(stores.StoreConfigError, match="REDIS_URL"):
        stores.redis_lock_store("http://localhost:6379")


def test_lock_store_only_with_redis_and_operator_choice_wins() -> None:
    plain = stores.with_stores({"action_endpoint": {"actions_module": "actions"}}, {})
    assert "lock_store" not in plain
    assert plain["action_endpoint"] == {"actions_module": "actions"}
    mine = {"tracker_store": {"type": "mongod"}}
    merged = stores.with_stores(mine, {"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert merged["tracker_store"] == {"type": "mongod"}
    assert merged["lock_store"]["url"] == "127.0.0.1"


def test_run_args_point_at_a_private_generated_file(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "tracker.db"
    env = {"TRACKER_STORE_URL": f"sqlite:///{db}", "REDIS_URL": "redis://127.0.0.1:6399/0"}
    args = stores.rewrite_run_args(
        ["run", "--model", "models", "--endpoints", str(REPO / "endpoints.yml")], env
    )
    generated = Path(args[args.index("--endpoints") + 1])
    assert generated.parent == stores.GENERATED_DIR
    assert generated.stat().st_mode & 0o777 == 0o600
    content = yaml.safe_load(generated.read_text(encoding="utf-8"))
    assert content["action_endpoint"] == {"actions_module": "actions"}
    assert content["tracker_store"] == {"type": stores.TRACKER_STORE_TYPE, "url": f"sqlite:///{db}"}
    assert db.parent.is_dir()
    # Rasa itself reads the generated file into its own store classes.
    endpoints = AvailableEndpoints.read_endpoints(str(generated))
    assert isinstance(LockStore.create(endpoints.lock_store), RedisLockStore)
    assert stores.rewrite_run_args(["shell", "--endpoints", "x.yml"], env) == [
        "shell",
        "--endpoints",
        "x.yml",
    ]
    generated.unlink()


def test_sql_tracker_store_keeps_slots_across_instances(tmp_path: Path) -> None:
    # What a restarted (or second) Rasa server sees: a new store object on the same URL.
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    args = stores.rewrite_run_args(
        ["run", "--endpoints", str(REPO / "endpoints.yml")], {"TRACKER_STORE_URL": url}
    )
    generated = Path(args[-1])
    endpoints = AvailableEndpoints.read_endpoints(str(generated))
    generated.unlink()
    domain = Domain.from_yaml("slots:\n  order_number:\n    type: text\n    mappings: []\n")
    first = TrackerStore.create(endpoints.tracker_store, domain)
    assert isinstance(first, SQLTrackerStore)
    tracker = DialogueStateTracker("conv-1", domain.slots)
    tracker.update(UserUttered("where is my order"))
    tracker.update(SlotSet("order_number", "ORD-104233"))
    import asyncio

    asyncio.run(first.save(tracker))
    second = TrackerStore.create(endpoints.tracker_store, domain)
    restored = asyncio.run(second.retrieve("conv-1"))
    assert restored is not None
    assert restored.get_slot("order_number") == "ORD-104233"


def test_only_the_sqlite_tracker_file_gets_wal_and_normal_sync(tmp_path: Path) -> None:
    import sqlalchemy as sa

    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    other_url = f"sqlite:///{tmp_path / 'payments.db'}"
    stores.tune_sqlite_tracker(tracker_url)
    stores.tune_sqlite_tracker(tracker_url)  # idempotent
    for url, journal, sync in ((tracker_url, "wal", 1), (other_url, "delete", 2)):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == journal
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == sync
        engine.dispose()
