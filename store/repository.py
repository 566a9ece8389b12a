"""Customer-scoped reads (and the one write, disputes) over the payments store.

Every read of an order is scoped: either by the verified ``customer_ref`` or, for anonymous
users, by order ref *and* the order's email together. There is deliberately no method that
returns an order by ref alone.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker
from sqlalchemy.sql import Select

from common.customer_input import parse_order_ref
from store import models
from store.constants import CENT
from store.errors import InvalidDispute, OrderNotFound, StoreUnavailable
from store.mapping import customer_view, dispute_view, order_view
from store.views import CustomerView, DisputeView, OrderView

log = logging.getLogger(__name__)

_ACTIVE_DISPUTE = ("open", "under_review")
_MAX_REASON = 500


def _order_query() -> Select:
    """Orders with every relationship a view needs, in a fixed number of queries (no N+1)."""
    return select(models.Order).options(
        joinedload(models.Order.customer),
        joinedload(models.Order.merchant),
        selectinload(models.Order.items),
        selectinload(models.Order.plan).selectinload(models.InstalmentPlan.instalments),
        selectinload(models.Order.payments).joinedload(models.Payment.instalment),
        selectinload(models.Order.refunds),
        selectinload(models.Order.disputes),
    )


def _email_matches(stored: str, given: str) -> bool:
    given = given.strip()
    return bool(given) and stored.strip().casefold() == given.casefold()


class PaymentsRepository:
    """Read access to payments data for one service; safe to share between threads.

    Args:
        session_factory: From ``store.db.make_session_factory``; each call opens its own
            short session so no ORM object outlives it.
    """

    def __init__(self, session_factory: sessionmaker) -> None:
        self._session_factory = session_factory

    @contextmanager
    def _session(self, operation: str) -> Iterator[Session]:
        session: Session = self._session_factory()
        backend = session.get_bind().dialect.name
        try:
            yield session
        except (OperationalError, DisconnectionError, PoolTimeoutError) as exc:
            session.rollback()
            log.warning("payments store unavailable during %s (%s): %s", operation, backend, exc)
            raise StoreUnavailable(operation, backend, type(exc).__name__) from exc
        except DBAPIError as exc:
            session.rollback()
            if exc.connection_invalidated:
                log.warning("payments store connection lost during %s (%s)", operation, backend)
                raise StoreUnavailable(operation, backend, "connection invalidated") from exc
            raise
        finally:
            session.close()

    def get_customer(self, customer_ref: str) -> CustomerView | None:
        """The customer with this ref, or None."""
        with self._session("get_customer") as session:
            row = session.execute(
                select(models.Customer).where(models.Customer.customer_ref == customer_ref)
            ).scalar_one_or_none()
            return customer_view(row) if row is not None else None

    def list_customers(self) -> list[CustomerView]:
        """Every customer ordered by ref; for the demo page's "chat as" picker only."""
        with self._session("list_customers") as session:
            rows = session.execute(
                select(models.Customer).order_by(models.Customer.customer_ref)
            ).scalars()
            return [customer_view(row) for row in rows]

    def list_orders(self, customer_ref: str) -> list[OrderView]:
        """All orders of one customer, newest first."""
        with self._session("list_orders") as session:
            rows = session.execute(
                _order_query()
                .join(models.Order.customer)
                .where(models.Customer.customer_ref == customer_ref)
                .order_by(models.Order.placed_at.desc(), models.Order.id.desc())
            ).scalars()
            return [order_view(row) for row in rows.unique()]

    def get_order(self, customer_ref: str, order_ref: str) -> OrderView | None:
        """The order if (and only if) it belongs to ``customer_ref``.

        ``order_ref`` may be raw user text; it is normalised here as well.
        """
        ref = parse_order_ref(order_ref)
        if ref is None:
            return None
        with self._session("get_order") as session:
            row = self._load_scoped(session, ref, customer_ref=customer_ref)
            return order_view(row) if row is not None else None

    def get_order_by_email(self, order_ref: str, email: str) -> OrderView | None:
        """Anonymous path: the order only when its ref and its customer's email both match.

        The email is compared case-insensitively; a wrong or empty email gives None exactly
        like an unknown order, so callers cannot probe which order numbers exist.
        """
        ref = parse_order_ref(order_ref)
        if ref is None or not isinstance(email, str):
            return None
        with self._session("get_order_by_email") as session:
            row = self._load_scoped(session, ref, email=email)
            return order_view(row) if row is not None else None

    def open_dispute(
        self,
        customer_ref: str | None,
        order_ref: str,
        reason: str,
        amount: Decimal | None,
        now: datetime,
        *,
        email: str | None = None,
    ) -> DisputeView:
        """Record a dispute on an order in the caller's scope and return it.

        Authenticated callers pass ``customer_ref``; anonymous callers pass ``None`` plus the
        ``email`` on the order. If the order already has an open or under-review dispute, that
        one is returned instead of creating a duplicate (a retried action must not open two).

        Raises:
            OrderNotFound: No such order in the caller's scope.
            InvalidDispute: Empty reason, naive ``now``, or an amount outside 0 < amount <= total.
            StoreUnavailable: The database is unreachable.
        """
        reason = reason.strip()
        if not reason:
            raise InvalidDispute("a dispute needs a reason")
        if now.tzinfo is None:
            raise InvalidDispute("now must be timezone-aware")
        ref = parse_order_ref(order_ref)
        if ref is None or (customer_ref is None and not email):
            raise OrderNotFound(order_ref)
        with self._session("open_dispute") as session:
            order = self._load_scoped(session, ref, customer_ref=customer_ref, email=email)
            if order is None:
                raise OrderNotFound(ref)
            if amount is not None and not (Decimal("0") < amount <= order.total):
                raise InvalidDispute(f"dispute amount must be above 0 and at most {order.total}")
            existing = [d for d in order.disputes if d.status in _ACTIVE_DISPUTE]
            if existing:
                return dispute_view(existing[0], order)
            dispute = models.Dispute(
                dispute_ref=f"DSP-{secrets.token_hex(5).upper()}",
                order=order,
                reason=reason[:_MAX_REASON],
                amount=amount.quantize(CENT) if amount is not None else None,
                status="open",
                opened_at=now,
            )
            session.add(dispute)
            session.commit()
            log.info("dispute %s opened on %s", dispute.dispute_ref, ref)
            return dispute_view(dispute, order)

    @staticmethod
    def _load_scoped(
        session: Session,
        order_ref: str,
        *,
        customer_ref: str | None = None,
        email: str | None = None,
    ) -> models.Order | None:
        """Load an order by ref within exactly one scope: a customer, or an email."""
        query = _order_query().where(models.Order.order_ref == order_ref)
        if customer_ref is not None:
            query = query.join(models.Order.customer).where(
                models.Customer.customer_ref == customer_ref
            )
        elif email is None:
            raise ValueError("an order lookup needs a customer_ref or an email")
        row: models.Order | None = session.execute(query).unique().scalar_one_or_none()
        if row is None or (
            customer_ref is None and not _email_matches(row.customer.email, email or "")
        ):
            return None
        return row
