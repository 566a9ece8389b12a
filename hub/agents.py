r"""Operators' command for agent accounts.

Usage::

    python -m hub.agents create --username ana --display-name "Ana" --role agent \
        --queues payments,disputes [--languages en,es] [--capacity 3] [--password-stdin]
    python -m hub.agents set-languages --username ana --languages es,en
    python -m hub.agents set-password --username ana [--password-stdin]
    python -m hub.agents list
    python -m hub.agents deactivate --username ana
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from hub.domain.errors import HubError, ValidationFailed
from hub.persistence.store import HubStore
from hub.services.accounts import ROLES, AgentDirectory
from hub.services.clock import system_clock
from hub.settings import load_policy
from migrations.runner import upgrade
from store.db import database_url_from_env


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise ValidationFailed("password", "the two entries differ")
    return password


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hub.agents", description="Manage agent and supervisor accounts."
    )
    parser.add_argument("--database-url", help="defaults to DATABASE_URL or var/payassist.db")
    parser.add_argument("--config", help="hub.yml to read queues from (default: repo root)")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create an agent or supervisor")
    create.add_argument("--username", required=True)
    create.add_argument("--display-name", required=True)
    create.add_argument("--role", choices=ROLES, default="agent")
    create.add_argument("--queues", default="", help="comma-separated queue names (skills)")
    create.add_argument("--capacity", type=int, default=None)
    create.add_argument(
        "--languages", default="en", help="comma-separated languages spoken (default: en)"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    set_pw = sub.add_parser("set-password", help="replace a password (ends the account's sessions)")
    set_pw.add_argument("--username", required=True)
    set_pw.add_argument("--password-stdin", action="store_true")
    set_lang = sub.add_parser("set-languages", help="replace the languages an agent speaks")
    set_lang.add_argument("--username", required=True)
    set_lang.add_argument("--languages", required=True, help="comma-separated, e.g. es,en")
    sub.add_parser("list", help="list accounts")
    for name, text in (("deactivate", "disable an account"), ("activate", "re-enable an account")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--username", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m hub.agents``; returns the process exit code."""
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    config = load_policy(Path(args.config) if args.config else None)
    url = args.database_url or database_url_from_env()
    upgrade(url)  # an admin command, like the seed: brings the schema to the code's revision
    store = HubStore.from_url(url)
    directory = AgentDirectory(store, config, system_clock)
    try:
        if args.command == "create":
            queues = [q.strip() for q in args.queues.split(",") if q.strip()]
            password = _read_password(args.password_stdin)
            view = directory.create(
                args.username, args.display_name, args.role, queues, password, args.capacity,
                _split(args.languages),
            )  # fmt: skip
            print(f"created {view.role} {view.username} (id {view.agent_id})")
        elif args.command == "set-password":
            directory.set_password(args.username, _read_password(args.password_stdin))
            print(f"password updated for {args.username}")
        elif args.command == "set-languages":
            view = directory.set_languages(args.username, _split(args.languages))
            print(f"{view.username} speaks {','.join(view.languages)}")
        elif args.command == "list":
            for a in directory.list_agents():
                state = "active" if a.active else "disabled"
                print(
                    f"{a.agent_id}\t{a.username}\t{a.role}\t{','.join(a.queues) or '*'}"
                    f"\tcap={a.capacity}\tlang={','.join(a.languages)}\t{a.presence}\t{state}"
                    f"\t{a.display_name}"
                )
        else:
            directory.set_active(args.username, args.command == "activate")
            print(f"{args.username} {args.command}d")
    except HubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    return 0


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
