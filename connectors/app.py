"""The composition root: builds the hub from one settings object.

``create_app(settings)`` wires persistence, the services, the adapters (Socket.IO namespaces,
HTTP routes, the Rasa client) and the periodic tasks; nothing is created at import time.
Tests pass their own settings (temporary database, fake Rasa), a fake clock and a cheap
password hasher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import socketio
from aiohttp import web
from argon2 import PasswordHasher

from common.explicit_request import ExplicitRequestGuard, ExplicitRequestMatch, default_guard
from common.identity import verify_customer_token
from common.language import choose_language
from connectors.agent import AgentNamespace
from connectors.client_address import parse_networks
from connectors.customer import CustomerNamespace
from connectors.fanout import (
    CONVERSATION_BOUND,
    CONVERSATION_MESSAGE,
    QUEUES_CHANGED,
    SESSIONS_ENDED,
    make_manager,
)
from connectors.http import (
    AGENT_CHANNEL,
    LOGIN_EXECUTOR,
    LOGIN_THROTTLE,
    METRICS,
    PAYMENTS,
    RASA,
    SECURITY,
    SERVICES,
    SETTINGS,
    TRUSTED_PROXIES,
    add_routes,
    error_boundary,
)
from connectors.metrics import HubMetrics
from connectors.privacy_http import add_privacy_routes
from connectors.push import AgentPush, CustomerPush
from connectors.rasa_pool import build_rasa
from connectors.security import BrowserSecurity, install
from connectors.socket_base import MAX_TRANSPORT_BYTES, HubPacket
from connectors.transport import oversized_polling
from connectors.validation import EventParser
from hub.logging import log_event
from hub.persistence.store import HubStore
from hub.persistence.trackers import SqlTrackerEvents
from hub.services.agent_desk import AgentDesk
from hub.services.blocking import BlockingCalls
from hub.services.bot_turn import BotTurns
from hub.services.clock import Clock, system_clock
from hub.services.escalation import Escalation
from hub.services.login_throttle import LoginThrottle
from hub.services.notices import Notices
from hub.services.rate_limits import TokenBuckets
from hub.services.wiring import build_services
from hub.settings import HubSettings
from migrations.runner import is_in_memory, require_current, upgrade
from store.db import create_engine_from_url, make_session_factory
from store.repository import PaymentsRepository

logger = logging.getLogger(__name__)

CUSTOMERS = web.AppKey("customers", CustomerNamespace)
AGENTS = web.AppKey("agents", AgentNamespace)
TURNS = web.AppKey("turns", BotTurns)

MAX_HTTP_BODY_BYTES: Final = 64 * 1024


def _token_verifier(settings: HubSettings) -> Callable[[object], str | None]:
    secret = settings.customer_token_secret

    def verify(token: object) -> str | None:
        if secret is None:
            return None
        verified = verify_customer_token(token, secret)
        return verified.customer_ref if verified is not None else None

    return verify


def _explicit_detector(guard: ExplicitRequestGuard) -> Callable[[str], ExplicitRequestMatch | None]:
    def detect(text: str) -> ExplicitRequestMatch | None:
        match = guard.match(text)
        return match if match.matched else None

    return detect


def create_app(
    settings: HubSettings,
    *,
    clock: Clock = system_clock,
    password_hasher: PasswordHasher | None = None,
) -> web.Application:
    """Build the hub application.

    Args:
        settings: Everything the hub needs (see :class:`hub.settings.HubSettings`).
        clock: Source of "now" for the services and the requeue sweep (tests pass a fake).
        password_hasher: argon2 hasher for agent passwords; tests pass a cheap one.

    Returns:
        The aiohttp application; run it with ``web.run_app`` or an ``AppRunner``.

    Raises:
        SchemaNotCurrent: The database is not migrated to the code's revision.
    """
    engine = create_engine_from_url(settings.database_url)
    payments = PaymentsRepository(make_session_factory(engine))
    hub_store = HubStore.from_url(settings.database_url)
    if is_in_memory(settings.database_url):
        upgrade(hub_store.engine)  # a private database nobody else could have migrated
    else:
        require_current(settings.database_url)  # refuse to start on an unmigrated schema
    trackers = SqlTrackerEvents(settings.tracker_store_url) if settings.tracker_store_url else None
    services = build_services(
        hub_store,
        payments,
        settings.policy,
        clock,
        password_hasher=password_hasher,
        trackers=trackers,
    )
    # Short store calls run on the loop only for an in-process SQLite file that this hub alone
    # writes; with Redis fan-out other hub processes write it too.
    calls = BlockingCalls(inline_short_calls=hub_store.is_embedded and not settings.redis_url)

    metrics = HubMetrics()
    rasa = build_rasa(settings, metrics)  # one or more Rasa servers (connectors/rasa_pool.py)
    manager = make_manager(settings.redis_url)
    cors: str | list[str] | None
    cors = "*" if "*" in settings.cors_origins else list(settings.cors_origins) or None
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=HubPacket,
        cors_allowed_origins=cors,
        max_http_buffer_size=MAX_TRANSPORT_BYTES,
        # A socket's events are handled in order on its own reader, not each in a new task:
        # every handler is short (a bot turn runs in the background), and a task per event
        # cost every customer message another event-loop round.
        async_handlers=False,
        logger=False,
        engineio_logger=False,
    )

    # The language decision's model loads once, here, not inside the first customer's ack.
    choose_language("hola, buenos días", page_language=None, previous_language=None)
    agent_push = AgentPush(sio, settings.policy.queues)
    notices = Notices(services.messages, calls, CustomerPush(sio), agent_push)
    escalation = Escalation(
        services.handoffs, services.sessions, services.tickets, notices, rasa, calls
    )
    turns = BotTurns(
        services.sessions,
        services.messages,
        notices,
        escalation,
        rasa,
        calls,
        detect_explicit=_explicit_detector(default_guard()),
        failure_threshold=settings.rasa_failure_threshold,
        state_changes=lambda: hub_store.state_changes,
        busy_notice_seconds=settings.policy.bot_busy_notice.total_seconds(),
        max_waiting=settings.policy.max_waiting_turns,
    )
    desk = AgentDesk(services, notices, turns, calls)
    parser = EventParser(settings.policy, settings.metadata_key)
    trusted_proxies = parse_networks(settings.trusted_proxies)
    customers = CustomerNamespace(
        services,
        turns,
        escalation,
        agent_push,
        calls,
        parser,
        verify_token=_token_verifier(settings),
        new_per_connection=settings.policy.max_conversations_per_connection,
        new_per_address=TokenBuckets(
            settings.policy.max_conversations_per_address_per_minute,
            settings.policy.max_conversations_per_address_per_minute / 60.0,
        ),
        trusted_proxies=trusted_proxies,
    )
    security = BrowserSecurity(settings)
    agents = AgentNamespace(services, desk, agent_push, calls, parser, browser=security)
    manager.on_signal(QUEUES_CHANGED, agents.namespace, agents.handle_queues_signal)
    manager.on_signal(SESSIONS_ENDED, agents.namespace, agents.handle_sessions_signal)
    manager.on_signal(CONVERSATION_BOUND, customers.namespace, customers.handle_bound_signal)
    manager.on_signal(CONVERSATION_MESSAGE, customers.namespace, customers.handle_message_signal)
    sio.register_namespace(customers)
    sio.register_namespace(agents)

    app = web.Application(
        client_max_size=MAX_HTTP_BODY_BYTES, middlewares=[error_boundary, oversized_polling(sio)]
    )
    app[SETTINGS] = settings
    app[SERVICES] = services
    app[RASA] = rasa
    app[METRICS] = metrics
    app[PAYMENTS] = payments
    app[CUSTOMERS] = customers
    app[AGENTS] = agents
    app[TURNS] = turns
    app[AGENT_CHANNEL] = agent_push
    app[LOGIN_THROTTLE] = LoginThrottle(settings.policy)
    app[TRUSTED_PROXIES] = trusted_proxies
    login_executor = ThreadPoolExecutor(
        max_workers=settings.policy.login_workers, thread_name_prefix="hub-login"
    )
    app[LOGIN_EXECUTOR] = login_executor
    app[SECURITY] = security
    install(app, security)  # headers on every response, CSRF, cookie flags
    sio.attach(app)
    add_routes(app, settings.static_dir)
    add_privacy_routes(app, calls)  # issue 17: export, erasure, audit log (supervisors)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await rasa.start()
        await turns.redrive()  # turns a stopped hub acknowledged but never finished
        loops = [
            asyncio.create_task(
                _every(
                    settings.requeue_interval_seconds,
                    "requeue",
                    lambda: desk.requeue_sweep(clock()),
                )
            ),
            asyncio.create_task(
                _every(settings.heartbeat_interval_seconds, "heartbeat", agents.heartbeat)
            ),
            # Logouts cut sockets off at once; this catches expiry and revocation elsewhere.
            asyncio.create_task(
                _every(
                    settings.session_check_interval_seconds,
                    "session_check",
                    agents.check_sessions,
                )
            ),
            # Issue 17: delete what is past its retention period, batch by batch.
            asyncio.create_task(
                _every(
                    settings.policy.retention.purge_interval.total_seconds(),
                    "retention_purge",
                    lambda: services.retention.run_async(calls),
                )
            ),
        ]
        log_event(logger, "hub.started", demo=settings.demo, redis=settings.redis_url is not None)
        yield
        for loop in loops:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        await turns.drain()
        await agents.drain()
        await manager.close()
        await rasa.close()
        login_executor.shutdown(wait=False, cancel_futures=True)
        engine.dispose()
        hub_store.dispose()
        if trackers is not None:
            trackers.dispose()
        log_event(logger, "hub.stopped")

    async def stop_sockets(app: web.Application) -> None:
        # Before the server goes: close client connections (they reconnect and resume
        # elsewhere) and end Engine.IO's ping and service tasks cleanly.
        # wait=False: a socket whose peer already vanished would never drain its queue.
        for socket in list(sio.eio.sockets.values()):
            await socket.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT)
        sio.eio.sockets.clear()
        await sio.shutdown()

    app.on_shutdown.append(stop_sockets)  # type: ignore[arg-type]  # aiohttp 3.9 stubs
    app.cleanup_ctx.append(lifecycle)
    return app


async def _every(interval_seconds: float, name: str, task: Callable[[], Awaitable[object]]) -> None:
    """Run ``task`` every ``interval_seconds``; a failed round is logged and the next retries."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await task()
        except Exception:
            log_event(logger, f"hub.{name}_failed", level=logging.ERROR, exc_info=True)


__all__ = ["AGENTS", "CUSTOMERS", "SERVICES", "TURNS", "create_app"]
