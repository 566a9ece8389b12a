r"""Operators' command for a customer's rights and the audit log (supervisors only).

Usage::

    python -m hub.privacy --as SUPERVISOR export --customer REF [--out FILE]
    python -m hub.privacy --as SUPERVISOR erase --customer REF --yes
    python -m hub.privacy --as SUPERVISOR audit [--customer REF] [--conversation ID]
        [--agent-id N] [--action ACTION] [--limit N]

``--as`` names the supervisor account the action is recorded against (the audit entry's
session reference is ``cli:<operating-system user>``); an agent account is refused. Common
options: ``--database-url``, ``--tracker-store-url`` (default ``DATABASE_URL`` and
``TRACKER_STORE_URL``). Output is JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.domain.errors import HubError
from hub.persistence.store import HubStore
from hub.persistence.trackers import SqlTrackerEvents
from hub.services.audit import AuditTrail, cli_session_ref
from hub.services.clock import system_clock
from hub.services.privacy import CustomerRights
from hub.settings import tracker_store_url_from_env
from migrations.runner import SchemaNotCurrent, require_current
from store.db import database_url_from_env


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hub.privacy", description="Export or erase a customer; read the audit log."
    )
    parser.add_argument("--as", dest="actor", required=True, help="the acting supervisor")
    parser.add_argument("--database-url", help="defaults to DATABASE_URL or var/payassist.db")
    parser.add_argument("--tracker-store-url", help="defaults to TRACKER_STORE_URL")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="everything held about one customer, as JSON")
    export.add_argument("--customer", required=True)
    export.add_argument("--out", help="write to this file (0600) instead of stdout")
    erase = sub.add_parser("erase", help="erase one customer's conversations and trackers")
    erase.add_argument("--customer", required=True)
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    audit = sub.add_parser("audit", help="read the audit log, newest first")
    audit.add_argument("--customer")
    audit.add_argument("--conversation")
    audit.add_argument("--agent-id", type=int)
    audit.add_argument("--action")
    audit.add_argument("--before-id", type=int)
    audit.add_argument("--limit", type=int, default=100)
    return parser


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _plain(value: Any) -> Any:
    """Views (dataclasses) as dicts, for JSON."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _run(args: argparse.Namespace, audit: AuditTrail, rights: CustomerRights) -> Any:
    actor = audit.actor_for_username(args.actor, cli_session_ref())
    if args.command == "export":
        return rights.export(actor, args.customer)
    if args.command == "erase":
        return rights.erase(actor, args.customer)
    return audit.entries(
        actor,
        customer_ref=args.customer,
        conversation_id=args.conversation,
        agent_id=args.agent_id,
        action=args.action,
        before_id=args.before_id,
        limit=args.limit,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m hub.privacy``; returns the process exit code."""
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.command == "erase" and not args.yes:
        print("error: erasure cannot be undone; add --yes to confirm", file=sys.stderr)
        return 2
    url = args.database_url or database_url_from_env()
    try:
        require_current(url)
    except SchemaNotCurrent as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    store = HubStore.from_url(url)
    trackers = SqlTrackerEvents(args.tracker_store_url or tracker_store_url_from_env())
    audit = AuditTrail(store, system_clock)
    try:
        result = _run(args, audit, CustomerRights(store, trackers, audit, system_clock))
    except HubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
        trackers.dispose()
    text = json.dumps(_plain(result), indent=2, default=_encode, sort_keys=True)
    if args.command == "export" and args.out:
        _write_private(Path(args.out), text)
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
