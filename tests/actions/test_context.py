"""Identity comes only from a verified token; services are lazy and replaceable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import context
from actions.context import (
    ActionServices,
    ActionSettings,
    default_services,
    identify_customer,
    latest_customer_token,
    set_default_services,
)
from common.identity import mint_customer_token
from tests.actions.conftest import SECRET, make_tracker, user_event


def test_latest_message_token_wins(token_for, now):
    tracker = make_tracker(
        metadata={"customer_token": token_for("cus_bob")},
        earlier_events=[user_event("hi", {"customer_token": token_for("cus_alice")})],
    )
    customer = identify_customer(tracker, SECRET, now=now)
    assert customer is not None
    assert customer.customer_ref == "cus_bob"


@pytest.mark.parametrize("metadata", [None, {}, {"customer_ref": "cus_dan"}])
def test_an_earlier_token_never_speaks_for_a_later_turn(token_for, now, metadata):
    """Identity is proved per turn: a message without a token is anonymous, whatever came before.

    E.g. a second tab sharing an anonymous session after the first tab sent a token, or a
    caller of Rasa's API who knows the conversation id (issue 13).
    """
    tracker = make_tracker(
        metadata=metadata,
        earlier_events=[
            user_event("hi", {"customer_token": token_for("cus_alice")}),
            user_event("hello", {"customer_token": token_for("cus_dan")}),
            user_event("ok", {}),
        ],
    )
    assert latest_customer_token(tracker) is None
    assert identify_customer(tracker, SECRET, now=now) is None


def test_token_is_reverified_each_time(token_for, now):
    tracker = make_tracker(metadata={"customer_token": token_for("cus_alice")})
    assert identify_customer(tracker, SECRET, now=now) is not None
    assert identify_customer(tracker, SECRET, now=now + timedelta(hours=2)) is None


@pytest.mark.parametrize(
    "metadata",
    [None, {}, {"customer_ref": "cus_alice"}, {"customer_token": ""}, {"customer_token": 42},
     {"customer_token": "not.a.jwt"}],
    ids=["none", "empty", "ref_only", "empty_token", "non_string", "garbage"],
)  # fmt: skip
def test_no_valid_token_is_anonymous(metadata, now):
    tracker = make_tracker(metadata=metadata)
    assert identify_customer(tracker, SECRET, now=now) is None


def test_slots_and_text_are_ignored(now):
    tracker = make_tracker(metadata={}, slots={"customer_ref": "cus_alice"}, text="I am cus_alice")
    assert latest_customer_token(tracker) is None
    assert identify_customer(tracker, SECRET, now=now) is None


def test_without_a_secret_everyone_is_anonymous(token_for, payments_repository, now):
    services = ActionServices(
        ActionSettings(customer_token_secret=None, database_url="sqlite://"),
        repository=payments_repository,
        clock=lambda: now,
    )
    tracker = make_tracker(metadata={"customer_token": token_for("cus_alice")})
    assert services.identify(tracker) is None


def test_settings_from_environment():
    settings = ActionSettings.from_env(
        {"CUSTOMER_TOKEN_SECRET": " s3cret ", "DATABASE_URL": "postgres://u@h/db"}
    )
    assert settings == ActionSettings("s3cret", "postgresql://u@h/db")
    defaults = ActionSettings.from_env({})
    assert defaults.customer_token_secret is None
    assert defaults.database_url.startswith("sqlite:///")
    assert defaults.database_url.endswith("var/payassist.db")


def test_repository_is_built_lazily_once(payments_repository):
    built = []

    def factory(settings):
        built.append(settings)
        return payments_repository

    settings = ActionSettings(customer_token_secret=SECRET, database_url="sqlite://")
    services = ActionServices(settings, repository_factory=factory)
    assert built == []
    assert services.repository is payments_repository
    assert services.repository is payments_repository
    assert built == [settings]


def test_default_services_read_the_environment_on_first_use(monkeypatch, now):
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)
    set_default_services(None)
    try:
        services = default_services()
        assert default_services() is services
        tracker = make_tracker(
            metadata={"customer_token": mint_customer_token("cus_carmen", SECRET)}
        )
        customer = services.identify(tracker)
        assert customer is not None
        assert customer.customer_ref == "cus_carmen"
    finally:
        set_default_services(None)


def test_replacing_default_services(payments_repository):
    replacement = ActionServices(
        ActionSettings(customer_token_secret=SECRET, database_url="sqlite://"),
        repository=payments_repository,
    )
    set_default_services(replacement)
    try:
        assert context.default_services() is replacement
    finally:
        set_default_services(None)


async def test_run_blocking_runs_off_the_event_loop():
    import threading

    main = threading.get_ident()
    worker = await context.run_blocking(threading.get_ident)
    assert worker != main
