"""``python -m tests.hub.fake_rasa_seeded``: the fake Rasa as a process of its own.

For fault tests that kill the hub: the bot must outlive it, as the real Rasa does. Each answer
comes after a random delay (seeded), so a kill lands before, during or after a turn, and every
message the webhook receives is appended to a JSON-lines log (to count what the bot saw twice).

Usage: ``python -m tests.hub.fake_rasa_seeded PORT SEED MAX_DELAY_SECONDS LOG_PATH``
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.hub.fake_rasa import FakeRasa, default_reply


class DelayedFakeRasa(FakeRasa):
    """Answers like :class:`FakeRasa` after a random delay, logging each webhook body."""

    def __init__(self, seed: int, max_delay: float, log_path: Path) -> None:
        super().__init__(reply=self._logged_reply)
        self._random = random.Random(seed)
        self._max_delay = max_delay
        self._log_path = log_path

    def _logged_reply(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        with self._log_path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(body) + "\n")
        return default_reply(body)

    async def _misbehave(self) -> web.Response | None:
        await asyncio.sleep(self._random.uniform(0.0, self._max_delay))
        return None


async def serve(port: int, seed: int, max_delay: float, log_path: Path) -> None:
    rasa = DelayedFakeRasa(seed, max_delay, log_path)
    rasa.port = port
    await rasa.start()
    try:
        await asyncio.Event().wait()
    finally:
        await rasa.stop()


if __name__ == "__main__":
    port_arg, seed_arg, delay_arg, log_arg = sys.argv[1:5]
    asyncio.run(serve(int(port_arg), int(seed_arg), float(delay_arg), Path(log_arg)))
