import base64
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest

from common.identity import VerifiedCustomer, mint_customer_token, verify_customer_token

SECRET = "test-secret-with-enough-entropy-0123456789"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_round_trip():
    token = mint_customer_token("cus_alice", SECRET, now=NOW, name="Alice")
    assert verify_customer_token(
        token, SECRET, now=NOW + timedelta(minutes=59)
    ) == VerifiedCustomer(
        customer_ref="cus_alice", expires_at=NOW + timedelta(hours=1), name="Alice"
    )


@pytest.mark.parametrize(
    ("offset", "valid"),
    [
        (timedelta(hours=1), True),
        (timedelta(hours=1, seconds=30), True),
        (timedelta(hours=1, seconds=31), False),
        (timedelta(days=2), False),
    ],
)
def test_expiry_with_leeway(offset, valid):
    token = mint_customer_token("cus_alice", SECRET, now=NOW)
    assert (verify_customer_token(token, SECRET, now=NOW + offset) is not None) is valid


def test_leeway_is_configurable():
    token = mint_customer_token("cus_alice", SECRET, now=NOW)
    later = NOW + timedelta(hours=1, seconds=5)
    assert verify_customer_token(token, SECRET, now=later, leeway=timedelta(0)) is None
    assert verify_customer_token(token, SECRET, now=later, leeway=timedelta(seconds=10)) is not None


def _forged_tokens() -> dict[str, str]:
    good = mint_customer_token("cus_alice", SECRET, now=NOW)
    header, _payload, signature = good.split(".")
    exp = int((NOW + timedelta(hours=1)).timestamp())
    return {
        "wrong secret": mint_customer_token(
            "cus_alice", "another-secret-0123456789abcdef", now=NOW
        ),
        "payload swapped": f"{header}.{_b64({'sub': 'cus_bob', 'exp': exp})}.{signature}",
        "alg none": f"{_b64({'alg': 'none'})}.{_b64({'sub': 'cus_bob', 'exp': exp})}.",
        "HS512": jwt.encode({"sub": "cus_bob", "exp": exp}, SECRET, algorithm="HS512"),
        "no exp": jwt.encode({"sub": "cus_bob"}, SECRET, algorithm="HS256"),
        "no sub": jwt.encode({"exp": exp}, SECRET, algorithm="HS256"),
        "empty sub": jwt.encode({"sub": " ", "exp": exp}, SECRET, algorithm="HS256"),
        "exp not a number": f"{header}.{_b64({'sub': 'x', 'exp': 'soon'})}.{signature}",
        "issued in the future": jwt.encode(
            {"sub": "cus_bob", "exp": exp + 7200, "iat": exp}, SECRET, algorithm="HS256"
        ),
        "not yet valid": jwt.encode(
            {"sub": "cus_bob", "exp": exp, "nbf": exp - 60}, SECRET, algorithm="HS256"
        ),
    }


@pytest.mark.parametrize("case", sorted(_forged_tokens()))
def test_forged_or_incomplete_tokens_are_rejected(case):
    assert verify_customer_token(_forged_tokens()[case], SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "garbage",
    [None, "", "not-a-jwt", "a.b.c", "....", 12345, b"bytes", {"sub": "cus_alice"}, "x" * 5000],
)
def test_garbage_never_raises(garbage):
    assert verify_customer_token(garbage, SECRET, now=NOW) is None


def test_rejections_are_logged_without_the_token(caplog):
    token = mint_customer_token("cus_alice", "another-secret-0123456789abcdef", now=NOW)
    with caplog.at_level(logging.DEBUG, logger="common.identity"):
        assert verify_customer_token(token, SECRET, now=NOW) is None
    assert "InvalidSignatureError" in caplog.text
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"secret": ""}, "empty"),
        ({"customer_ref": ""}, "customer_ref"),
        ({"ttl": timedelta(0)}, "ttl"),
        ({"now": datetime(2026, 12, 1)}, "timezone"),
    ],
)
def test_mint_refuses_bad_arguments(kwargs, message):
    args = {"customer_ref": "cus_alice", "secret": SECRET, **kwargs}
    with pytest.raises(ValueError, match=message):
        mint_customer_token(**args)


def test_verify_refuses_an_empty_secret():
    with pytest.raises(ValueError, match="empty"):
        verify_customer_token("x.y.z", "")
