"""Customer identity tokens: the only way a customer id reaches the bot.

The host site signs ``{"sub": customer_ref, "exp": ..., "iat": ...}`` with HS256 and a shared
secret. Verification never raises on bad input: a bad token simply means "anonymous", and it is
logged by reason only (never the token, which is a bearer credential).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

log = logging.getLogger(__name__)

ALGORITHM = "HS256"
DEFAULT_TTL = timedelta(hours=1)
DEFAULT_LEEWAY = timedelta(seconds=30)
_MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class VerifiedCustomer:
    """A customer whose token checked out; ``expires_at`` is the token's ``exp`` in UTC."""

    customer_ref: str
    expires_at: datetime
    name: str | None = None


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(timezone.utc)


def _require_secret(secret: str) -> None:
    # A missing secret is a deployment mistake, not bad user input: fail loudly.
    if not isinstance(secret, str) or not secret:
        raise ValueError("CUSTOMER_TOKEN_SECRET is empty")


def mint_customer_token(
    customer_ref: str,
    secret: str,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
    *,
    name: str | None = None,
) -> str:
    """Sign a token for ``customer_ref`` (what the host site does; used by the demo and tests).

    Raises:
        ValueError: Empty ``customer_ref`` or secret, non-positive ``ttl`` or naive ``now``.
    """
    _require_secret(secret)
    if not customer_ref:
        raise ValueError("customer_ref is empty")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    issued = _utc(now)
    claims: dict[str, Any] = {
        "sub": customer_ref,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _reject(reason: str) -> None:
    log.info("customer token rejected: %s", reason)


def verify_customer_token(
    token: object,
    secret: str,
    now: datetime | None = None,
    *,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> VerifiedCustomer | None:
    """Return the verified customer, or None for a missing, malformed, forged or expired token.

    Only HS256 is accepted (``alg: none`` and every other algorithm are refused); ``exp`` and
    ``sub`` are required. Time claims are checked against ``now`` (default: the clock) with
    ``leeway`` for clock skew between the host site and us.

    Raises:
        ValueError: The secret is empty (configuration error, not bad input).
    """
    _require_secret(secret)
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        _reject("missing or oversized")
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "require": ["exp", "sub"],
                # Time claims are checked below against the injectable ``now``.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        _reject(type(exc).__name__)
        return None
    return _check_claims(claims, _utc(now), leeway.total_seconds())


def _check_claims(claims: dict[str, Any], now: datetime, leeway: float) -> VerifiedCustomer | None:
    sub, exp = claims.get("sub"), claims.get("exp")
    if not isinstance(sub, str) or not sub.strip():
        _reject("sub is not a non-empty string")
        return None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        _reject("exp is not a number")
        return None
    current = now.timestamp()
    if current > exp + leeway:
        _reject("expired")
        return None
    for claim in ("iat", "nbf"):
        value = claims.get(claim)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _reject(f"{claim} is not a number")
            return None
        if value > current + leeway:
            _reject(f"{claim} is in the future")
            return None
    name = claims.get("name")
    return VerifiedCustomer(
        customer_ref=sub,
        expires_at=datetime.fromtimestamp(exp, tz=timezone.utc),
        name=name if isinstance(name, str) else None,
    )
