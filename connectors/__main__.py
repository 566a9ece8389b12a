"""``python -m connectors``: run the hub with settings from the environment.

In demo mode (``PAYASSIST_DEMO=1``, set by ``make run``) the demo agent and supervisor are
ensured with fresh random passwords, printed once on stdout and written to
``var/demo-agent.json`` (mode 0600) for ``scripts/banner.py``; outside demo mode there is no
default account (create agents with ``python -m hub.agents``) and a leftover credentials file
from an earlier demo run is removed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import uvloop
from aiohttp import web

from common.blas import limit_blas_threads
from connectors.app import create_app
from connectors.http import SERVICES
from hub.domain.errors import ConfigError
from hub.logging import configure_logging, log_event
from hub.services.wiring import HubServices
from hub.settings import HubSettings, SettingsError
from migrations.runner import SchemaError

logger = logging.getLogger("hub")

# How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms):
# shorter, so the event loop gets it back sooner from the database threads (relay tail
# latency; measurements in docs/design-notes.md).
GIL_SWITCH_INTERVAL_S = 0.0005
# numpy's BLAS threads (the language detector's matrix products): one, as in a serving Rasa.
# OpenBLAS's default (a worker per core) made every detection wait for a worker the busy
# cores could not run: 6-9 ms of hub CPU per bot message at 20 customers, 3.4 ms with one
# thread (common/blas.py).
BLAS_THREADS = 1
# Shutdown stays short whatever clients do: requests still running this long after SIGTERM are
# cancelled (clients reconnect and resume), and a request body nobody reads any more (a refused
# upload) is drained for at most LINGER_S instead of aiohttp's 10 s per connection.
SHUTDOWN_TIMEOUT_S = 1.5
LINGER_S = 0.5


def write_demo_credentials(path: Path, accounts: list[tuple[str, str]]) -> None:
    """Write the demo logins as JSON readable by the owner only (0600), atomically.

    The file is created under a temporary name with mode 0600 and then renamed, so it is
    never readable by others, not even for a moment, and a reader never sees half a file.

    Args:
        path: Target file, e.g. ``var/demo-agent.json``.
        accounts: ``[(agent_username, password), (supervisor_username, password)]``, then
            optionally the Spanish-speaking agent's ``(username, password)``.
    """
    (username, password), (supervisor_username, supervisor_password) = accounts[:2]
    logins = {
        "username": username,
        "password": password,
        "supervisor_username": supervisor_username,
        "supervisor_password": supervisor_password,
    }
    if len(accounts) > 2:
        logins.update(spanish_username=accounts[2][0], spanish_password=accounts[2][1])
    body = json.dumps(logins, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_demo_accounts(services: HubServices, settings: HubSettings, out: TextIO) -> None:
    """Demo mode: fresh demo logins, printed and saved; otherwise remove stale saved logins."""
    path = settings.demo_credentials_path
    if not settings.demo:
        if path.exists():
            path.unlink()
            log_event(logger, "hub.demo_credentials_removed", path=str(path))
        return
    accounts = services.agents.ensure_demo_accounts()
    write_demo_credentials(path, accounts)
    console = f"http://{settings.host}:{settings.port}/console"
    for role, (username, password) in zip(
        ("agent", "supervisor", "Spanish-speaking agent"), accounts, strict=False
    ):
        out.write(f"Demo {role} console: {console} username {username} password {password}\n")
    out.flush()


def configure_process() -> None:
    """Process-wide tuning: the GIL switch interval, numpy's BLAS threads, a frozen heap.

    Called once the app is built: what is alive then (the guard's phrase index, the
    language detector's model, the services) lives as long as the process, so it is moved
    out of the garbage collector's generations (``gc.freeze``) instead of being walked by
    every full collection. Set by the entry point and not by ``create_app``: tests build
    many apps in one process.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    limit_blas_threads(BLAS_THREADS)
    gc.collect()
    gc.freeze()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop the hub serves on: uvloop's (libuv), as sanic serves Rasa.

    Every customer message wakes the loop several times (the customer's frame, the ack, the
    request to Rasa and its answer, the reply); libuv's loop and transports do that work in C.
    """
    return uvloop.new_event_loop()


def main() -> int:
    """Build the app from the environment and serve it until interrupted."""
    try:
        settings = HubSettings.from_env()
        configure_logging(settings.log_level)
        app = create_app(settings)
    except (SettingsError, ConfigError, SchemaError) as exc:
        sys.stderr.write(f"hub: {exc}\n")
        return 2
    prepare_demo_accounts(app[SERVICES], settings, sys.stdout)
    configure_process()
    log_event(logger, "hub.listening", host=settings.host, port=settings.port)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
        lingering_time=LINGER_S,
        loop=new_event_loop(),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
