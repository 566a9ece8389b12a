"""``python -m hub``: run the hub with settings from the environment.

In demo mode (``PAYASSIST_DEMO=1``, set by ``make run``) a demo agent is ensured and its
login is printed once on stdout, so the person trying the demo can open the console;
outside demo mode there is no default account (create agents with ``python -m hub.agents``).
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from hub.app import SERVICE, create_app
from hub.logging import configure_logging, log_event
from hub.settings import HubSettings, SettingsError

logger = logging.getLogger("hub")


def main() -> int:
    """Build the app from the environment and serve it until interrupted."""
    try:
        settings = HubSettings.from_env()
    except SettingsError as exc:
        sys.stderr.write(f"hub: {exc}\n")
        return 2
    configure_logging(settings.log_level)
    app = create_app(settings)
    if settings.demo:
        username, password = app[SERVICE].ensure_demo_agent()
        sys.stdout.write(
            f"Demo agent console: http://{settings.host}:{settings.port}/console "
            f"username {username} password {password}\n"
        )
        sys.stdout.flush()
    log_event(logger, "hub.listening", host=settings.host, port=settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
