"""``make run``'s one-process mode: a killed and restarted Rasa keeps a conversation mid-form.

Rasa is started as ``make run`` starts it (``python -m bot.server run`` with the repository's
``endpoints.yml``, actions in-process, no servers): its tracker store is an SQLite file, here
in a temporary folder instead of ``var/tracker.db``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.cluster import BOT_PY, REPO, free_port, http_ok, newest_model
from tests.cluster.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
TOKEN = "embedded-test-token"


class EmbeddedRasa:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.tracker = workdir / "tracker.db"
        self.database = f"sqlite:///{workdir / 'payassist.db'}"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("REDIS_URL", None)
        env.update(
            PYTHONPATH=str(REPO),
            DATABASE_URL=self.database,
            TRACKER_STORE_URL=f"sqlite:///{self.tracker}",
        )
        return env

    def prepare(self) -> None:
        for module in ("migrations", "store.seed"):
            args = [str(BOT_PY), "-m", module] + (["upgrade"] if module == "migrations" else [])
            subprocess.run(  # noqa: S603 (fixed argv)
                args, cwd=REPO, env=self.env(), check=True, capture_output=True, timeout=600
            )

    def start(self) -> None:
        with (self.workdir / "rasa.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [str(BOT_PY), "-m", "bot.server", "run", "--model", str(newest_model()),
                 "--endpoints", str(REPO / "endpoints.yml"),
                 "--credentials", str(REPO / "credentials.yml"), "--enable-api",
                 "--auth-token", TOKEN, "--interface", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{self.port}/status?token={TOKEN}"

        def up() -> bool:
            assert self.process is not None
            assert self.process.poll() is None, (self.workdir / "rasa.log").read_text()[-3000:]
            return http_ok(url)

        wait_until(up, 900, "Rasa up")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def say(self, sender: str, text: str) -> str:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            return " ".join(m.get("text") or "" for m in json.loads(response.read()))


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedRasa]:
    try:
        newest_model()
    except RuntimeError as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))
    rasa = EmbeddedRasa(tmp_path)
    rasa.prepare()
    yield rasa
    rasa.stop()


def test_sigkilled_rasa_restarts_mid_form_with_its_slots(embedded: EmbeddedRasa) -> None:
    embedded.start()
    assert "order number" in embedded.say("conv-embedded", "hey, has my order been sent out yet?")
    assert "email" in embedded.say("conv-embedded", "ORD-104233")
    embedded.kill()  # no shutdown: only what the tracker store already holds survives
    assert embedded.tracker.exists()

    embedded.start()
    answer = embedded.say("conv-embedded", "alice@example.com")
    assert "104233" in answer  # the form finished with the order number from before the crash
