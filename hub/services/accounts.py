"""Agents and supervisors: accounts, passwords and login sessions.

Passwords are hashed with argon2id (argon2-cffi); login sessions are opaque random tokens
of which only the SHA-256 is stored, so a leaked database does not leak usable sessions.
Failures never lock an account (anyone could then lock a known agent out): the hub throttles
logins per client address instead (:mod:`hub.services.login_throttle`). An unknown username
costs the same hash work as a known one so timing does not reveal which usernames exist. There
is no default password: operators create accounts with ``python -m hub.agents``
(:mod:`hub.agents`), and the demo mode's accounts get a fresh random password each run.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.domain.errors import NotFound, ValidationFailed
from hub.domain.language import agent_languages
from hub.domain.policy import HubConfig
from hub.domain.views import AgentSession, AgentView, Role
from hub.persistence import models as m
from hub.persistence.mapping import agent_view
from hub.persistence.store import HubStore
from hub.services.clock import Clock, utc_now

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS: Final = 10
MAX_PASSWORD_CHARS: Final = 256
ROLES: Final[tuple[Role, ...]] = ("agent", "supervisor")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
DEMO_AGENT: Final = "demo"
DEMO_SUPERVISOR: Final = "demo-supervisor"
DEMO_SPANISH_AGENT: Final = "demo-es"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def hash_token(token: str) -> str:
    """SHA-256 hex of a session token: what the database stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password_policy(password: str) -> None:
    """Reject passwords too short to resist guessing or too long to hash cheaply."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationFailed("password", f"at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValidationFailed("password", f"at most {MAX_PASSWORD_CHARS} characters")


class AgentDirectory:
    """Agent accounts and login sessions over the hub store.

    Args:
        store: The hub store.
        config: Queues (skills must name known queues), session lifetime.
        clock: Returns the current aware UTC time (injected so tests control time).
        hasher: argon2 hasher; tests pass a cheap one, production uses the library defaults.
    """

    def __init__(
        self,
        store: HubStore,
        config: HubConfig,
        clock: Clock,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def _now(self) -> datetime:
        return utc_now(self._clock)

    def _check_queues(self, role: str, queues: Sequence[str]) -> list[str]:
        unknown = [q for q in queues if q not in self._config.queues]
        if unknown:
            raise ValidationFailed("queues", f"unknown queue(s): {', '.join(unknown)}")
        if role == "agent" and not queues:
            raise ValidationFailed("queues", "an agent needs at least one queue")
        return list(dict.fromkeys(queues))

    @staticmethod
    def _check_languages(languages: Sequence[str] | None) -> list[str]:
        codes = list(agent_languages(languages if languages is not None else ["en"]))
        bad = [c for c in codes if not _LANGUAGE_CODE.match(c)]
        if bad or not codes:
            raise ValidationFailed("languages", "one or more ISO 639-1 codes, e.g. en,es")
        return codes

    def create(
        self,
        username: str,
        display_name: str,
        role: str,
        queues: Sequence[str],
        password: str,
        capacity: int | None = None,
        languages: Sequence[str] | None = None,
    ) -> AgentView:
        """Create an agent or supervisor; ``languages`` they speak (default English).

        Raises:
            ValidationFailed: Bad username, role, queue, language, capacity or password;
                taken username.
        """
        username = username.strip().lower()
        if not _USERNAME.match(username):
            raise ValidationFailed("username", "2-64 characters: a-z, 0-9, '.', '_', '-'")
        if role not in ROLES:
            raise ValidationFailed("role", "agent or supervisor")
        display_name = display_name.strip()
        if not display_name or len(display_name) > 120:
            raise ValidationFailed("display_name", "1-120 characters")
        skills = self._check_queues(role, queues)
        spoken = self._check_languages(languages)
        capacity = self._config.default_capacity if capacity is None else capacity
        if capacity < 1 or capacity > 50:
            raise ValidationFailed("capacity", "between 1 and 50")
        check_password_policy(password)
        password_hash = self._hasher.hash(password)
        with self._store.transaction() as s:
            if self._store.agents.agent_by_username(s, username) is not None:
                raise ValidationFailed("username", "already taken")
            row = m.Agent(
                username=username,
                display_name=display_name,
                role=role,
                queues=skills,
                languages=spoken,
                capacity=capacity,
                password_hash=password_hash,
                active=True,
                presence="offline",
                failed_logins=0,
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            return agent_view(row)

    def set_password(self, username: str, password: str) -> None:
        """Replace a password and end every session of that account."""
        check_password_policy(password)
        password_hash = self._hasher.hash(password)
        now = self._now()
        with self._store.transaction() as s:
            row = self._store.agents.agent_by_username(s, username.strip().lower(), lock=True)
            if row is None:
                raise NotFound("agent", username)
            row.password_hash = password_hash
            row.failed_logins = 0
            row.locked_until = None
            self._revoke_all(s, int(row.id), now)

    def set_languages(self, username: str, languages: Sequence[str]) -> AgentView:
        """Replace the languages an agent speaks (routing offers them conversations in these)."""
        spoken = self._check_languages(languages)
        with self._store.transaction() as s:
            row = self._store.agents.agent_by_username(s, username.strip().lower(), lock=True)
            if row is None:
                raise NotFound("agent", username)
            row.languages = spoken
            return agent_view(row)

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable an account; disabling ends its sessions."""
        now = self._now()
        with self._store.transaction() as s:
            row = self._store.agents.agent_by_username(s, username.strip().lower(), lock=True)
            if row is None:
                raise NotFound("agent", username)
            row.active = active
            if not active:
                row.presence = "offline"
                row.disconnected_at = now
                self._revoke_all(s, int(row.id), now)

    def _revoke_all(self, s: Session, agent_id: int, now: datetime) -> None:
        s.execute(
            update(m.AgentSession)
            .where(m.AgentSession.agent_id == agent_id, m.AgentSession.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    def list_agents(self) -> list[AgentView]:
        """Every account with its current conversation count."""
        with self._store.read() as s:
            return [
                agent_view(a, self._store.conversations.owned_count(s, int(a.id)))
                for a in self._store.agents.agents(s)
            ]

    def _verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            # Same work as a real check, so response time does not reveal unknown usernames.
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            password_hash = self._dummy_hash
            try:
                self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False
            return False
        try:
            return bool(self._hasher.verify(password_hash, password))
        except VerifyMismatchError:
            return False
        except (VerificationError, InvalidHashError):
            log.warning("stored password hash could not be verified", exc_info=True)
            return False

    def login(self, username: str, password: str) -> AgentSession | None:
        """Check a password and open a session.

        Returns:
            The new session (its token is only ever returned here), or None for a wrong
            username or password, or a disabled account. The reasons are not distinguished,
            so the caller cannot leak them. Failures are counted (``failed_logins``, reset by
            a success) but lock nothing; throttling is the caller's (per client address).
        """
        username = username.strip().lower()
        if not username or len(password) > MAX_PASSWORD_CHARS:
            return None
        now = self._now()
        with self._store.transaction() as s:
            row = self._store.agents.agent_by_username(s, username)
            if row is None:
                agent_id, stored_hash = None, None
            else:
                agent_id, stored_hash = int(row.id), str(row.password_hash)
        # The slow hash runs outside any transaction so it never holds a database lock.
        ok = self._verify(stored_hash, password)
        if agent_id is None:
            return None
        with self._store.transaction() as s:
            row = self._store.agents.agent(s, agent_id, lock=True)
            if not ok:
                row.failed_logins = int(row.failed_logins) + 1
                return None
            if not row.active:
                return None
            row.failed_logins = 0
            row.locked_until = None
            if self._hasher.check_needs_rehash(str(row.password_hash)):
                row.password_hash = self._hasher.hash(password)
            token = secrets.token_urlsafe(32)
            expires_at = now + self._config.session_ttl
            s.add(
                m.AgentSession(
                    agent_id=agent_id,
                    token_hash=hash_token(token),
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            view = agent_view(row)
        return AgentSession(
            token=token,
            agent_id=view.agent_id,
            username=view.username,
            display_name=view.display_name,
            role=view.role,
            queues=view.queues,
            expires_at=expires_at,
            languages=view.languages,
        )

    def authenticate(self, token: str) -> AgentView | None:
        """The agent behind a session token, or None if unknown, expired, revoked or disabled."""
        with self._store.read() as s:
            row = self.session_agent(s, token, self._now())
            if row is None:
                return None
            return agent_view(row, self._store.conversations.owned_count(s, int(row.id)))

    def live_sessions(self, tokens: Iterable[str]) -> dict[str, int]:
        """Which of these session tokens are still live, with their agent ids (one read).

        The hub's periodic check of its open agent sockets: a token missing from the answer
        expired, was revoked (logout, new password) or belongs to a disabled account.
        """
        now = self._now()
        live: dict[str, int] = {}
        with self._store.read() as s:
            for token in set(tokens):
                row = self.session_agent(s, token, now)
                if row is not None:
                    live[token] = int(row.id)
        return live

    def session_agent(self, s: Session, token: str | None, now: datetime) -> m.Agent | None:
        """The active agent behind a live session token, read in the caller's transaction.

        Lets a write (an agent's reply) check the session in the same transaction instead of
        a separate one per event, with exactly the rules of :meth:`authenticate`.
        """
        if not token or len(token) > 256:
            return None
        session = self._store.agents.session_by_token_hash(s, hash_token(token))
        if session is None or session.revoked_at is not None or session.expires_at <= now:
            return None
        row = self._store.agents.agent(s, int(session.agent_id))
        return row if row.active else None

    def logout(self, token: str) -> int | None:
        """Revoke a session; returns its agent id (None if the token was not valid)."""
        now = self._now()
        with self._store.transaction() as s:
            session = self._store.agents.session_by_token_hash(s, hash_token(token))
            if session is None or session.revoked_at is not None:
                return None
            session.revoked_at = now
            return int(session.agent_id)

    def ensure_demo_accounts(self) -> list[tuple[str, str]]:
        """Create or refresh the demo accounts with fresh random passwords.

        The demo agent (English), the demo supervisor (English and Spanish) and a
        Spanish-speaking demo agent (``demo-es``: Spanish and English), all on every queue.
        Only the run command's demo mode calls this; it prints the credentials. Each call
        replaces the passwords, so a password printed by an earlier run stops working.

        Returns:
            ``[(username, password), ...]``: the agent, the supervisor, the Spanish agent.
        """
        accounts: list[tuple[str, str]] = []
        all_queues = list(self._config.queues)
        for username, display, role, languages in (
            (DEMO_AGENT, "Demo Agent", "agent", ["en"]),
            (DEMO_SUPERVISOR, "Demo Supervisor", "supervisor", ["en", "es"]),
            (DEMO_SPANISH_AGENT, "Lucía (demo)", "agent", ["es", "en"]),
        ):
            password = secrets.token_urlsafe(12)
            with self._store.transaction() as s:
                exists = self._store.agents.agent_by_username(s, username) is not None
            if exists:
                self.set_password(username, password)
                self.set_active(username, True)
                self.set_languages(username, languages)
            else:
                self.create(username, display, role, all_queues, password, None, languages)
            accounts.append((username, password))
        return accounts
