r"""Operators' command for the retention purge (``retention:`` in ``hub.yml``).

Usage::

    python -m hub.retention purge [--dry-run] [--database-url URL] [--tracker-store-url URL]
        [--config hub.yml]

Deletes, in batches, every conversation, ticket, rating, Rasa tracker and audit entry past its
retention period (docs/data-protection.md); ``--dry-run`` only counts. The running hub does the
same every ``retention.purge_interval_seconds``. Prints the counts as JSON; exit code 0 on
success, 2 when the database is not at the code's schema.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from hub.persistence.store import HubStore
from hub.persistence.trackers import SqlTrackerEvents
from hub.services.clock import system_clock
from hub.services.retention import RetentionPurge
from hub.settings import load_policy, tracker_store_url_from_env
from migrations.runner import SchemaNotCurrent, require_current
from store.db import database_url_from_env


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hub.retention", description="Delete data past its retention period."
    )
    parser.add_argument("--database-url", help="defaults to DATABASE_URL or var/payassist.db")
    parser.add_argument(
        "--tracker-store-url", help="Rasa's tracker store; defaults to TRACKER_STORE_URL"
    )
    parser.add_argument("--config", help="hub.yml with the retention periods (default: repo root)")
    sub = parser.add_subparsers(dest="command", required=True)
    purge = sub.add_parser("purge", help="delete what is past its retention period")
    purge.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m hub.retention``; returns the process exit code."""
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    policy = load_policy(Path(args.config) if args.config else None).retention
    url = args.database_url or database_url_from_env()
    try:
        require_current(url)  # purging never migrates: run `make migrate` first
    except SchemaNotCurrent as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = HubStore.from_url(url)
    trackers = SqlTrackerEvents(args.tracker_store_url or tracker_store_url_from_env())
    try:
        purge = RetentionPurge(store, trackers, policy, system_clock)
        report = purge.dry_run() if args.dry_run else purge.run()
    finally:
        store.dispose()
        trackers.dispose()
    print(json.dumps({"dry_run": report.dry_run, "deleted": report.counts}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
