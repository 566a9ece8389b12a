"""Agents' presence: online, away or offline, kept alive by each hub's heartbeat.

Going online ends a pending grace period; going offline (or the last socket dropping) starts
one, after which :meth:`hub.services.agent_work.AgentWork.requeue_expired` puts the agent's
conversations back in the queue.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.domain.errors import NotAllowed, ValidationFailed
from hub.domain.views import PRESENCES, AgentView
from hub.persistence.mapping import agent_view
from hub.persistence.store import HubStore
from hub.services.accounts import AgentDirectory
from hub.services.clock import Clock, utc_now


class PresenceService:
    """Presence changes, heartbeats and logout."""

    def __init__(self, store: HubStore, clock: Clock, accounts: AgentDirectory) -> None:
        self._store = store
        self._clock = clock
        self._accounts = accounts

    def set_presence(self, agent_id: int, presence: str) -> AgentView:
        """Change presence.

        Raises:
            ValidationFailed: Unknown presence.
            NotFound: Unknown agent.
            NotAllowed: A disabled account going online or away.
        """
        if presence not in PRESENCES:
            raise ValidationFailed("presence", "online, away or offline")
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            agent = self._store.agents.agent(s, agent_id, lock=True)
            if not agent.active and presence != "offline":
                raise NotAllowed("the account is disabled")
            if agent.presence != presence:
                agent.presence = presence
                agent.presence_changed_at = now
            if presence != "offline":
                agent.last_seen_at = now
            if presence == "online":
                agent.disconnected_at = None
            elif presence == "offline" and agent.disconnected_at is None:
                agent.disconnected_at = now
            return agent_view(agent, self._store.conversations.owned_count(s, agent_id))

    def agent_disconnected(self, agent_id: int) -> None:
        """The agent's last connection dropped: offline now, conversations kept for a while."""
        self.set_presence(agent_id, "offline")

    def logout(self, token: str) -> int | None:
        """End a login session; the agent's conversations get the grace period.

        Returns:
            The agent whose session ended, or None when the token was not a live session.
        """
        agent_id = self._accounts.logout(token)
        if agent_id is not None:
            self.agent_disconnected(agent_id)
        return agent_id

    def heartbeat(self, agent_ids: Sequence[int]) -> None:
        """Record that these agents' sockets are alive (each hub, periodically)."""
        if not agent_ids:
            return
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            self._store.agents.touch_agents(s, sorted(set(agent_ids)), now)

    def agent(self, agent_id: int) -> AgentView:
        """One agent's current view (presence, skills, load)."""
        with self._store.read() as s:
            row = self._store.agents.agent(s, agent_id)
            return agent_view(row, self._store.conversations.owned_count(s, agent_id))
