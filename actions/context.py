"""Who the assistant is talking to, and where the payments data comes from.

Two things every payments action needs, kept in one place so no action can get them wrong:

* **Identity.** The customer is known *only* from a ``customer_token`` (HS256 JWT signed by the
  host site) in user-message metadata, verified again here on every action call. Slots, typed
  text and the hub's convenience ``customer_ref`` metadata are never trusted: anyone can type or
  send them.
* **Data access.** The :class:`~store.repository.PaymentsRepository` is injected through
  :class:`ActionServices`. The action server instantiates actions without arguments, so they fall
  back to a process-wide default built lazily from the environment on first use (never at import
  time); tests pass their own services or swap the default with :func:`set_default_services`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, ParamSpec, TypeVar

from rasa_sdk import Tracker

from common.identity import VerifiedCustomer, verify_customer_token
from store.db import create_engine_from_url, database_url_from_env, make_session_factory
from store.repository import PaymentsRepository

logger = logging.getLogger(__name__)

TOKEN_METADATA_KEY = "customer_token"  # noqa: S105 - a metadata key, not a secret

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ActionSettings:
    """Configuration of the action server, read from the environment in one place.

    Attributes:
        customer_token_secret: HS256 secret shared with the host site. ``None`` means no token
            can be verified, so every user is treated as anonymous (safe default).
        database_url: SQLAlchemy URL of the payments database.
    """

    customer_token_secret: str | None
    database_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ActionSettings:
        """Build settings from environment variables.

        Args:
            environ: Variables to read; defaults to ``os.environ``. Passing a mapping keeps
                tests independent of the process environment.

        Returns:
            The settings. ``DATABASE_URL`` falls back to the store's default SQLite file.
        """
        env = os.environ if environ is None else environ
        secret = env.get("CUSTOMER_TOKEN_SECRET", "").strip() or None
        return cls(customer_token_secret=secret, database_url=database_url_from_env(env))


RepositoryFactory = Callable[[ActionSettings], PaymentsRepository]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def build_repository(settings: ActionSettings) -> PaymentsRepository:
    """Create a repository (engine + session factory) for ``settings.database_url``.

    Creating an engine does not connect, so this is cheap; connections are opened per query.
    """
    engine = create_engine_from_url(settings.database_url)
    return PaymentsRepository(make_session_factory(engine))


class ActionServices:
    """Settings plus a repository built on first use and then shared by every action call.

    One engine per process (with its connection pool) instead of one per conversation; built
    lazily so importing ``actions`` never touches the database or the environment.
    """

    def __init__(
        self,
        settings: ActionSettings | None = None,
        *,
        repository: PaymentsRepository | None = None,
        repository_factory: RepositoryFactory = build_repository,
        clock: Clock = utc_now,
    ) -> None:
        """Create services.

        Args:
            settings: Fixed settings; read from the environment on first use when omitted.
            repository: A ready repository (tests); built from the settings when omitted.
            repository_factory: How to build the repository from settings.
            clock: Source of "now" (UTC), so tests can pin "today" to their seeded data.
        """
        self.clock = clock
        self._settings = settings
        self._repository = repository
        self._factory = repository_factory
        self._lock = threading.Lock()
        self._warned_no_secret = False

    @property
    def settings(self) -> ActionSettings:
        """The settings, read from the environment the first time they are needed."""
        with self._lock:
            if self._settings is None:
                self._settings = ActionSettings.from_env()
            return self._settings

    @property
    def repository(self) -> PaymentsRepository:
        """The shared repository, built the first time it is needed."""
        settings = self.settings
        with self._lock:
            if self._repository is None:
                self._repository = self._factory(settings)
            return self._repository

    def today(self) -> date:
        """Today's date in UTC: instalment due dates are UTC calendar days."""
        return self.clock().date()

    def identify(self, tracker: Tracker) -> VerifiedCustomer | None:
        """Return the verified customer of this conversation turn, or ``None`` (anonymous).

        Args:
            tracker: The conversation; only user-message metadata is read.
        """
        secret = self.settings.customer_token_secret
        if secret is None:
            if not self._warned_no_secret:
                self._warned_no_secret = True
                logger.warning("CUSTOMER_TOKEN_SECRET is not set: every user is anonymous")
            return None
        return identify_customer(tracker, secret, now=self.clock())


_default_services: ActionServices | None = None
_default_lock = threading.Lock()


def default_services() -> ActionServices:
    """The process-wide services used by actions created without arguments (action server)."""
    global _default_services
    with _default_lock:
        if _default_services is None:
            _default_services = ActionServices()
        return _default_services


def set_default_services(services: ActionServices | None) -> None:
    """Replace the process-wide services (``None`` rebuilds them from the environment)."""
    global _default_services
    with _default_lock:
        _default_services = services


def latest_customer_token(tracker: Tracker) -> str | None:
    """Find the token to judge this turn by: the latest user message's, and only that.

    Identity is proved on every turn. A message without a token is anonymous even when an
    earlier message of the conversation carried one: anything that can add a message to the
    conversation (a second tab sharing an anonymous session, a caller of Rasa's API with the
    conversation id) would otherwise read the customer's data on the strength of someone
    else's token. Intents triggered through Rasa's API carry no token, so they are anonymous.
    """
    return _token_from_metadata(tracker.latest_message.get("metadata"))


def identify_customer(
    tracker: Tracker, secret: str, now: datetime | None = None
) -> VerifiedCustomer | None:
    """Verify the customer token of this turn (the latest user message's).

    Args:
        tracker: The conversation.
        secret: HS256 secret shared with the host site.
        now: Clock override for tests (UTC).

    Returns:
        The verified customer, or ``None`` when there is no token or it does not verify.
    """
    token = latest_customer_token(tracker)
    if token is None:
        return None
    customer = verify_customer_token(token, secret, now=now)
    if customer is None:
        logger.info("customer token rejected for conversation %s", tracker.sender_id)
    return customer


def _token_from_metadata(metadata: Any) -> str | None:
    if not isinstance(metadata, Mapping):
        return None
    token = metadata.get(TOKEN_METADATA_KEY)
    return token if isinstance(token, str) and token else None


async def run_blocking(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a blocking (database) call in a worker thread.

    The action server serves every conversation from one event loop; a database query on it
    would stall all of them.
    """
    return await asyncio.to_thread(functools.partial(func, *args, **kwargs))
