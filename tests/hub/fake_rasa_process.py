"""The fake Rasa (:mod:`tests.hub.fake_rasa`) as a separate process, for tests of the line.

``python -m tests.hub.fake_rasa_process --port P --mode timeout --delay 0.5`` answers every
request after ``--delay`` seconds (``timeout`` mode is "slow": it answers after the delay);
``error`` answers HTTP 500. ``GET /calls`` says how many webhook requests reached it and the
most it ever had at once, so a test can check what got through without sharing memory.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from aiohttp import web

from tests.hub.fake_rasa import FakeRasa


def build_app(rasa: FakeRasa) -> web.Application:
    """The fake's routes plus ``/calls``."""
    app = rasa._app()  # the same fake, served by this process

    async def calls(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "webhook": [call["message"] for call in rasa.webhook_calls],
                "peak_in_flight": rasa.peak_in_flight,
            }
        )

    app.router.add_get("/calls", calls)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.hub.fake_rasa_process")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="ok", choices=("ok", "error", "timeout", "empty"))
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    rasa = FakeRasa(mode=args.mode, hang_seconds=args.delay)
    web.run_app(build_app(rasa), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
