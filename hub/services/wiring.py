"""Builds the synchronous services over one store, one policy and one clock."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher

from hub.domain.policy import HubConfig
from hub.persistence.store import HubStore
from hub.services.accounts import AgentDirectory
from hub.services.agent_work import AgentWork
from hub.services.audit import AuditTrail
from hub.services.clock import Clock
from hub.services.handoffs import HandoffService
from hub.services.messages import MessageService
from hub.services.presence import PresenceService
from hub.services.privacy import CustomerRights
from hub.services.queues import QueueReader
from hub.services.retention import RetentionPurge
from hub.services.sessions import SessionService
from hub.services.stats import StatsService
from hub.services.tickets import TicketService
from hub.services.tracker_port import TrackerEvents
from store.repository import PaymentsRepository


@dataclass(frozen=True)
class HubServices:
    """The hub's synchronous services, sharing one store, policy and clock."""

    config: HubConfig
    store: HubStore
    sessions: SessionService
    messages: MessageService
    handoffs: HandoffService
    tickets: TicketService
    agents: AgentDirectory
    presence: PresenceService
    work: AgentWork
    stats: StatsService
    # data protection (issue 17)
    audit: AuditTrail
    privacy: CustomerRights
    retention: RetentionPurge


def build_services(
    store: HubStore,
    payments: PaymentsRepository | None,
    config: HubConfig,
    clock: Clock,
    *,
    password_hasher: PasswordHasher | None = None,
    trackers: TrackerEvents | None = None,
) -> HubServices:
    """Wire every synchronous service (tests pass a fake clock and a cheap hasher).

    ``trackers`` is Rasa's tracker store for retention and erasure (None: nothing to purge).
    """
    queues = QueueReader(store, config)
    accounts = AgentDirectory(store, config, clock, password_hasher)
    audit = AuditTrail(store, clock)
    return HubServices(
        config=config,
        store=store,
        sessions=SessionService(store, config, clock),
        messages=MessageService(store, config, clock, accounts),
        handoffs=HandoffService(store, config, clock, queues),
        tickets=TicketService(store, config, clock),
        agents=accounts,
        presence=PresenceService(store, clock, accounts),
        work=AgentWork(store, payments, config, clock, queues, audit),
        stats=StatsService(store, config, clock, queues),
        audit=audit,
        privacy=CustomerRights(store, trackers, audit, clock),
        retention=RetentionPurge(store, trackers, config.retention, clock),
    )
