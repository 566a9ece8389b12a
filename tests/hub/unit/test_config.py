from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.domain.errors import ConfigError
from hub.domain.policy import HubConfig, config_from_mapping, parse_hours
from hub.domain.routing import estimate_wait, is_open, next_open
from hub.settings import load_policy as load_config

UTC = timezone.utc
WEEKDAYS = {"mon-fri": "08:00-20:00", "sat": ["09:00-12:00", "13:00-14:00"], "sun": "closed"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), True),  # Tue 08:00 London (GMT in winter)
        (datetime(2026, 12, 1, 7, 59, tzinfo=UTC), False),
        (datetime(2026, 12, 1, 20, 0, tzinfo=UTC), False),  # end is exclusive
        (datetime(2026, 12, 5, 12, 30, tzinfo=UTC), False),  # Sat lunch gap
        (datetime(2026, 12, 5, 13, 30, tzinfo=UTC), True),
        (datetime(2026, 12, 6, 10, 0, tzinfo=UTC), False),  # Sun closed
        (datetime(2026, 7, 1, 7, 30, tzinfo=UTC), True),  # summer: 08:30 BST
    ],
)
def test_business_hours_in_queue_timezone(when, expected):
    hours = parse_hours(WEEKDAYS, "Europe/London")
    assert is_open(hours, when) is expected


def test_next_open_skips_closed_days():
    hours = parse_hours(WEEKDAYS, "Europe/London")
    saturday_evening = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert next_open(hours, saturday_evening) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert next_open(hours, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )


def test_never_open_queue_has_no_next_opening():
    hours = parse_hours({"mon-sun": "closed"}, "UTC")
    assert next_open(hours, datetime(2026, 12, 1, tzinfo=UTC)) is None


def test_always_open_and_midnight_end():
    assert is_open(parse_hours("always", "UTC"), datetime(2026, 12, 6, 3, 0, tzinfo=UTC))
    late = parse_hours({"mon-sun": "18:00-24:00"}, "UTC")
    assert is_open(late, datetime(2026, 12, 1, 23, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ({"funday": "08:00-10:00"}, "UTC"),
        ({"fri-mon": "08:00-10:00"}, "UTC"),
        ({"mon": "8-10"}, "UTC"),
        ({"mon": "10:00-09:00"}, "UTC"),
        ({"mon": "25:00-26:00"}, "UTC"),
        ("sometimes", "UTC"),
        ("always", "Mars/Olympus"),
    ],
)
def test_bad_hours_are_rejected(raw, zone):
    with pytest.raises(ConfigError):
        parse_hours(raw, zone)


def test_config_file_round_trip(tmp_path: Path):
    path = tmp_path / "hub.yml"
    path.write_text(
        "default_queue: disputes\n"
        "grace_period_seconds: 30\n"
        "presence_timeout_seconds: 45\n"
        "dispositions: [resolved, spam]\n"
        "queues:\n"
        "  disputes:\n"
        "    {display_name: Disputes, timezone: Europe/Madrid, hours: {mon-fri: '09:00-17:00'}}\n"
        "  payments: {}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.default_queue == "disputes"
    assert config.grace_period == timedelta(seconds=30)
    assert config.presence_timeout == timedelta(seconds=45)
    assert config.dispositions == ("resolved", "spam")
    assert config.queues["disputes"].hours.timezone == "Europe/Madrid"
    assert config.queues["payments"].hours.always_open


@pytest.mark.parametrize(
    "raw",
    [
        {"default_queue": "nope"},
        {"grace_period_seconds": -1},
        {"presence_timeout_seconds": 0},
        {"default_capacity": 0},
        {"dispositions": "resolved"},
        {"queues": {}},
        {"queues": {"payments": "x"}},
        {"login_client_burst": 0},
        {"login_backoff_base_seconds": 0},
        {"login_workers": "two"},
        {"max_conversations_per_connection": -1},
    ],
)
def test_bad_config_is_rejected(raw):
    with pytest.raises(ConfigError):
        config_from_mapping(raw)


def test_missing_explicit_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError):
        load_config(tmp_path / "absent.yml")


def test_repository_hub_yml_is_valid():
    assert isinstance(load_config(), HubConfig)


def test_throttles_and_caps_are_read_from_the_file():
    config = config_from_mapping(
        {
            "login_client_burst": 3,
            "login_client_per_minute": 6,
            "login_backoff_after": 2,
            "login_backoff_base_seconds": 1,
            "login_backoff_max_seconds": 30,
            "login_max_concurrent": 1,
            "login_workers": 1,
            "max_conversations_per_connection": 5,
            "max_conversations_per_address_per_minute": 50,
        }
    )
    assert (config.login_client_burst, config.login_client_per_minute) == (3, 6)
    assert config.login_backoff_max.total_seconds() == 30
    assert (config.login_max_concurrent, config.login_workers) == (1, 1)
    assert config.max_conversations_per_connection == 5
    assert config.max_conversations_per_address_per_minute == 50


@pytest.mark.parametrize(
    ("waits", "position", "online", "expected"),
    [
        ([60, 60, 60], 1, 1, 60.0),
        ([30, 60, 90], 3, 1, 180.0),
        ([30, 60, 90], 3, 2, 120.0),
        ([60, 60], 1, 1, None),  # too few samples: unknown, not a guess
        ([60, 60, 60], 1, 0, None),  # nobody online
    ],
)
def test_wait_estimate(waits, position, online, expected):
    assert estimate_wait(waits, position, online, min_samples=3) == expected
