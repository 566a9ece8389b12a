"""Several Rasa servers behind one :class:`hub.services.ports.Bot`: health checks and failover.

The hub is given a list of Rasa URLs (``RASA_URLS``) rather than one URL behind a load
balancer, because only the hub knows when a request is safe to send again: a request that
never reached a server (connection refused, DNS) is retried at once on the next one, but one
that reached a server and died mid-answer is not, since that server may already have saved the
turn in the tracker store and a second server would see the message twice. A generic proxy
cannot tell those apart for a POST. The list also puts each server's health in the hub's own
logs and metrics, with no extra hop or extra process to run.

Any server can take any conversation: the dialogue state lives in the shared tracker store
(``bot/stores.py``), and the hub sends one conversation's turns one at a time
(``hub/services/bot_turn.py``), so no two servers work on one conversation at once. Each request
goes to the healthy server with the fewest of this process's requests in flight (ties in turn).
A background task asks every server's ``/`` every ``health_interval`` seconds; a server that
refused a connection is skipped until it answers again. When every server looks down, all of
them are still tried (the health view may be stale) before the turn fails open to a person.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiohttp
from prometheus_client import Counter

from connectors.metrics import HubMetrics
from connectors.rasa_client import RasaClient, RasaError, RasaUnavailable
from hub.logging import log_event
from hub.services.ports import BotError, BotReply
from hub.settings import HubSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RasaInterrupted(RasaError):
    """A server died while answering and another one is up: ask the customer to resend."""

    kind = "interrupted"


def never_reached(error: RasaError) -> bool:
    """Whether the request surely did not reach the server (safe to send to another)."""
    return isinstance(error, RasaUnavailable) and isinstance(
        error.__cause__, aiohttp.ClientConnectorError
    )


class _Server:
    """One Rasa server as the pool sees it."""

    def __init__(self, client: RasaClient, url: str) -> None:
        self.client = client
        self.url = url
        self.healthy = True  # until a check or a refused connection says otherwise
        self.in_flight = 0


class RasaPool:
    """The :class:`hub.services.ports.Bot` over N :class:`RasaClient` instances."""

    def __init__(
        self,
        clients: Sequence[tuple[str, RasaClient]],
        metrics: HubMetrics,
        health_interval_seconds: float = 2.0,
    ) -> None:
        """Pool ``clients`` (``(url, client)`` pairs, at least one)."""
        if not clients:
            raise ValueError("a Rasa pool needs at least one server")
        self._servers = [_Server(client, url) for url, client in clients]
        self._metrics = metrics
        self._interval = health_interval_seconds
        self._turn = itertools.count()
        self._checker: asyncio.Task[None] | None = None
        self.consecutive_failures = 0
        # Which server answered (or failed) each request: load spread and failovers, per server.
        self.requests = Counter(
            "hub_rasa_server_requests",
            "Requests from this hub process to each Rasa server, by outcome.",
            ["server", "outcome"],
            registry=metrics.registry,
        )

    @property
    def urls(self) -> list[str]:
        """The servers' base URLs, in configuration order."""
        return [server.url for server in self._servers]

    def healthy_urls(self) -> list[str]:
        """The servers currently believed up."""
        return [server.url for server in self._servers if server.healthy]

    async def start(self) -> None:
        """Open every client's connections and start the health checks."""
        for server in self._servers:
            await server.client.start()
        if self._checker is None:
            self._checker = asyncio.create_task(self._check_forever())

    async def close(self) -> None:
        """Stop the health checks and close every client."""
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
            self._checker = None
        for server in self._servers:
            await server.client.close()

    async def check_now(self) -> None:
        """Ask every server whether it is up (also run every ``health_interval`` seconds)."""
        results = await asyncio.gather(*(s.client.health() for s in self._servers))
        for server, healthy in zip(self._servers, results, strict=True):
            self._mark(server, healthy)

    async def _check_forever(self) -> None:
        while True:
            try:
                await self.check_now()
            except Exception:
                log_event(logger, "rasa_pool.check_failed", level=logging.ERROR, exc_info=True)
            await asyncio.sleep(self._interval)

    def _mark(self, server: _Server, healthy: bool) -> None:
        if server.healthy != healthy:
            log_event(
                logger,
                "rasa_pool.server_up" if healthy else "rasa_pool.server_down",
                level=logging.INFO if healthy else logging.WARNING,
                url=server.url,
            )
        server.healthy = healthy

    def _order(self) -> list[_Server]:
        """Healthy servers first (fewest in flight, ties in turn), then the rest."""
        start = next(self._turn) % len(self._servers)
        rotated = self._servers[start:] + self._servers[:start]
        return sorted(rotated, key=lambda s: (not s.healthy, s.in_flight))

    async def _call(self, operation: Callable[[RasaClient], Awaitable[T]]) -> T:
        last: RasaError | None = None
        for server in self._order():
            server.in_flight += 1
            try:
                result = await operation(server.client)
                self.requests.labels(server=server.url, outcome="ok").inc()
                return result
            except RasaError as error:
                self.requests.labels(server=server.url, outcome=error.kind).inc()
                if never_reached(error):
                    self._mark(server, False)
                    self._metrics.rasa_failures.labels(kind="failover").inc()
                    last = error
                    continue
                if isinstance(error, RasaUnavailable):
                    # It died mid-answer: the turn may be saved there; do not send it twice.
                    self._mark(server, False)
                    if any(s.healthy for s in self._servers):
                        raise RasaInterrupted(str(error)) from error
                raise
            finally:
                server.in_flight -= 1
        assert last is not None  # every server was tried and none was reached
        raise last

    async def send_message(
        self, session_id: str, text: str, metadata: dict[str, Any]
    ) -> list[BotReply]:
        """One customer message to one server (see the module docstring for the choice)."""
        return await self._call(lambda c: c.send_message(session_id, text, metadata))

    async def resume(self, session_id: str) -> None:
        """Append ``resume`` to the conversation's tracker, through any server."""
        await self._call(lambda c: c.resume(session_id))

    async def trigger_intent(self, session_id: str, name: str) -> list[BotReply]:
        """Trigger an external intent on whichever server answers."""
        return await self._call(lambda c: c.trigger_intent(session_id, name))

    def record_success(self) -> None:
        """Reset the failure streak: the bot answered."""
        self.consecutive_failures = 0

    def record_failure(self, error: BotError) -> int:
        """Count a failure and return the current streak length."""
        self.consecutive_failures += 1
        self._metrics.rasa_failures.labels(kind=error.kind).inc()
        return self.consecutive_failures

    async def health(self) -> bool:
        """Whether at least one server answers now (``/health``; checks every server)."""
        await self.check_now()
        return any(server.healthy for server in self._servers)


def build_rasa(settings: HubSettings, metrics: HubMetrics) -> RasaPool:
    """A pool over ``settings.rasa_servers`` (one server is a pool of one)."""
    clients = [
        (
            url,
            RasaClient(
                url,
                settings.rasa_auth_token,
                settings.rasa_timeout_seconds,
                metrics,
                max_concurrency=settings.rasa_max_concurrency,
                failure_threshold=settings.rasa_failure_threshold,
            ),
        )
        for url in settings.rasa_servers
    ]
    return RasaPool(clients, metrics, settings.rasa_health_interval_seconds)
