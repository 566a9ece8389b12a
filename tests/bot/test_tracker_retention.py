"""The hub's purge and erasure against trackers written by Rasa's own ``SQLTrackerStore``.

The contract (docs/data-protection.md): Rasa stores trackers at ``TRACKER_STORE_URL`` in its
``events`` table, one ``sender_id`` per conversation, and the hub's sender is its conversation's
public session id. Here Rasa (this environment) writes the trackers, the hub's commands (the
hub environment, another process) purge and erase, and Rasa reads back what is left, on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hub.persistence import models as m

ROOT = Path(__file__).resolve().parents[2]
HUB_PYTHON = ROOT / ".venv-hub" / "bin" / "python"
NOW = datetime.now(timezone.utc)
OLD = NOW - timedelta(days=400)


def _rasa_store(url: str) -> SQLTrackerStore:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=parsed.database)
    return SQLTrackerStore(Domain.empty(), host=url)


def _save(store: SQLTrackerStore, sender: str, at: datetime) -> None:
    ts = at.timestamp()
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen", timestamp=ts),
            UserUttered("my card was declined", {"name": "payment_declined"}, timestamp=ts + 1),
            ActionExecuted("utter_greet", timestamp=ts + 2),
        ],
    )
    asyncio.run(store.save(tracker))


def _events(store: SQLTrackerStore, sender: str) -> int:
    tracker = asyncio.run(store.retrieve(sender))
    return 0 if tracker is None else len(tracker.events)


def _hub(*args: str) -> dict:
    done = subprocess.run(  # noqa: S603 - the project's own interpreter and module
        [str(HUB_PYTHON), "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _conversation(session: Session, cid: str, ref: str | None, at: datetime) -> None:
    session.add(
        m.Conversation(
            id=cid,
            session_id=f"s-{cid}",
            customer_ref=ref,
            state="bot",
            created_at=at,
            updated_at=at,
        )
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def urls(request, migrated_sqlite: Callable[..., str], tmp_path: Path) -> tuple[str, str]:
    """(hub database, tracker store): two SQLite files, or one PostgreSQL database for both."""
    if request.param == "sqlite":
        return migrated_sqlite("hub.db"), f"sqlite:///{tmp_path / 'tracker.db'}"
    url = str(request.getfixturevalue("migrated_postgres_url"))
    return url, url


def test_purge_and_erasure_delete_rasas_own_trackers(urls, tmp_path):
    hub_url, tracker_url = urls
    rasa = _rasa_store(tracker_url)
    engine = create_engine(hub_url, future=True)
    with Session(engine) as s, s.begin():
        _conversation(s, "old", "cus_alice", OLD)  # idle for 400 days
        _conversation(s, "new", "cus_bob", NOW)
        _conversation(s, "anonymous", None, NOW)
        s.add(
            m.Agent(
                username="sam",
                display_name="Sam",
                role="supervisor",
                queues=[],
                capacity=1,
                password_hash="-",  # never signs in: the command acts as this account
                active=True,
                presence="offline",
                failed_logins=0,
                created_at=NOW,
            )
        )
    engine.dispose()
    for sender, at in [("s-old", OLD), ("s-new", NOW), ("rest-user", OLD), ("rest-now", NOW)]:
        _save(rasa, sender, at)
    assert _events(rasa, "s-old") == 3

    config = tmp_path / "hub.yml"
    config.write_text("retention: {transcripts_days: 365}\n", encoding="utf-8")
    common = ["--database-url", hub_url, "--tracker-store-url", tracker_url]
    dry = _hub("hub.retention", *common, "--config", str(config), "purge", "--dry-run")
    assert dry["deleted"]["conversations"] == 1
    assert dry["deleted"]["idle_trackers"] == 2
    assert _events(rasa, "s-old") == 3  # a dry run deletes nothing

    done = _hub("hub.retention", *common, "--config", str(config), "purge")
    assert done["deleted"]["conversations"] == 1
    assert done["deleted"]["idle_trackers"] == 1  # rest-user; s-old went with its conversation
    assert done["deleted"]["tracker_events"] == 6
    assert _events(rasa, "s-old") == 0
    assert _events(rasa, "rest-user") == 0
    assert _events(rasa, "s-new") == 3
    assert _events(rasa, "rest-now") == 3

    erased = _hub("hub.privacy", "--as", "sam", *common, "erase", "--customer", "cus_bob", "--yes")
    assert (erased["conversations"], erased["tracker_events"]) == (1, 3)
    assert _events(rasa, "s-new") == 0
    assert _events(rasa, "rest-now") == 3
    audit = _hub("hub.privacy", "--as", "sam", *common, "audit", "--customer", "cus_bob")
    assert [e["action"] for e in audit] == ["erased"]
    assert audit[0]["session_ref"].startswith("cli:")
    rasa.engine.dispose()
