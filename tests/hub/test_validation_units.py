"""Fast unit tests of the hub's pure network helpers (no sockets, no database)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.json import dumps, to_json
from connectors.rasa_client import bot_reply
from connectors.validation import EventError, EventParser, clean_value
from hub.domain.policy import HubConfig
from hub.services.ports import BotReply
from hub.settings import HubSettings, SettingsError

PARSER = EventParser(HubConfig(max_message_chars=10))
parse_leave_contact = PARSER.leave_contact
parse_rate = PARSER.rate
parse_session_request = PARSER.session_request


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ok \udcff", "invalid_encoding"),
        (b"\xc3\x28", "invalid_encoding"),
        ({"a": ["b", {"c": "\ud800"}]}, "invalid_encoding"),
        (float("nan"), "malformed"),
        (object(), "malformed"),
    ],
)
def test_clean_value_rejects(value: Any, code: str) -> None:
    with pytest.raises(EventError) as caught:
        clean_value(value)
    assert caught.value.code == code


def test_clean_value_decodes_utf8_bytes() -> None:
    assert clean_value({"m": "héllo".encode()}) == {"m": "héllo"}


def test_user_uttered_accepts_rasa_string_metadata() -> None:
    parsed = PARSER.user_uttered(
        {"message": "hi", "session_id": "s1", "metadata": '{"customer_token": "t"}'}
    )
    assert parsed.metadata == {"customer_token": "t"}
    assert parsed.session_id == "s1"


@pytest.mark.parametrize(("text", "ok"), [("x" * 10, True), ("x" * 11, False), ("é" * 10, True)])
def test_user_uttered_limit_counts_characters(text: str, ok: bool) -> None:
    if ok:
        assert PARSER.user_uttered({"message": text}).message == text
    else:
        with pytest.raises(EventError, match="longer than 10"):
            PARSER.user_uttered({"message": text})


@pytest.mark.parametrize(("length", "ok"), [(64, True), (65, False), (128, False)])
def test_client_ids_longer_than_the_store_keeps_are_refused_by_the_parser(
    length: int, ok: bool
) -> None:
    """One limit, from the policy: an id the parser accepts is one the service can store."""
    parser = EventParser(HubConfig())
    data = {"message": "hi", "client_msg_id": "x" * length}
    if ok:
        assert parser.user_uttered(data).client_msg_id == "x" * length
    else:
        with pytest.raises(EventError) as caught:
            parser.user_uttered(data)
        assert caught.value.code == "too_large"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, (None, None)),
        ({}, (None, None)),
        ({"session_id": None}, (None, None)),
        ({"session_id": "abc", "session_key": "k"}, ("abc", None)),  # the retired key is ignored
        ({"session_id": "abc", "last_seen_id": None}, ("abc", (None,))),
        ({"session_id": "abc", "last_seen_id": 41}, ("abc", (41,))),
        ("abc", ("abc", None)),
    ],
)
def test_session_request_shapes(data: Any, expected: tuple[Any, Any]) -> None:
    parsed = parse_session_request(data)
    assert (parsed.session_id, parsed.replay_from) == expected


@pytest.mark.parametrize("score", [0, 6, True, 3.5, "4", None])
def test_rate_needs_an_integer_from_one_to_five(score: Any) -> None:
    with pytest.raises(EventError):
        parse_rate({"score": score})


def test_leave_contact_needs_a_way_to_reach_the_customer() -> None:
    with pytest.raises(EventError):
        parse_leave_contact({"note": "call me"})
    assert parse_leave_contact({"phone": "+44 20 7946 0000"}).phone == "+44 20 7946 0000"


def test_agent_reply_requires_conversation_and_text() -> None:
    with pytest.raises(EventError):
        PARSER.agent_reply({"text": "hi"})
    reply = PARSER.agent_reply({"conversation_id": "c1", "text": "hi"})
    assert (reply.conversation_id, reply.text, reply.client_msg_id) == ("c1", "hi", None)


@pytest.mark.parametrize(
    ("rest", "reply"),
    [
        ({"text": "hello"}, BotReply(text="hello")),
        (
            {"text": "pick", "buttons": [{"title": "A", "payload": "/a"}]},
            BotReply(
                text="pick",
                fields={
                    "quick_replies": [{"content_type": "text", "title": "A", "payload": "/a"}],
                    "buttons": [{"title": "A", "payload": "/a"}],
                },
            ),
        ),
        (
            {"image": "https://x.test/i.png"},
            BotReply(
                fields={"attachment": {"type": "image", "payload": {"src": "https://x.test/i.png"}}}
            ),
        ),
        ({"attachment": {"type": "file"}}, BotReply(fields={"attachment": {"type": "file"}})),
        (
            {"custom": {"data": {"title": "card"}}},
            BotReply(fields={"title": "card", "custom": {"data": {"title": "card"}}}),
        ),
        (
            {"custom": {"handoff": {"reason": "topic"}}},
            BotReply(handoff={"reason": "topic"}),
        ),
    ],
)
def test_rest_messages_become_rasa_socketio_shapes(rest: dict[str, Any], reply: BotReply) -> None:
    assert bot_reply({"recipient_id": "s", **rest}) == reply


def test_one_encoding_keeps_money_exact_and_times_utc() -> None:
    value = {"amount": Decimal("10.10"), "at": datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc)}
    expected = {"amount": "10.10", "at": "2025-01-02T03:04:00+00:00"}
    assert to_json(value) == expected
    assert json.loads(dumps(value)) == expected


def test_settings_from_env(tmp_path: Path) -> None:
    policy_file = tmp_path / "hub.yml"
    policy_file.write_text("default_queue: payments\nmax_id_chars: 40\n", encoding="utf-8")
    settings = HubSettings.from_env(
        {
            "RASA_URL": "http://rasa:5005/",
            "HUB_PORT": "9000",
            "PAYASSIST_DEMO": "1",
            "HUB_RASA_TIMEOUT": "2.5",
            "HUB_CORS_ORIGINS": "https://shop.test, https://other.test",
            "HUB_CONFIG": str(policy_file),
            "HUB_MAX_TEXT_CHARS": "500",
            "HUB_HEARTBEAT_INTERVAL": "7.5",
            "HUB_RASA_CONCURRENCY": "3",
        }
    )
    assert settings.heartbeat_interval_seconds == 7.5
    assert settings.rasa_max_concurrency == 3
    assert HubSettings.from_env({}).rasa_max_concurrency == 8
    assert settings.rasa_url == "http://rasa:5005"
    assert (settings.port, settings.demo, settings.rasa_timeout_seconds) == (9000, True, 2.5)
    assert settings.cors_origins == ("https://shop.test", "https://other.test")
    assert (settings.policy.max_id_chars, settings.policy.max_message_chars) == (40, 500)
    assert HubSettings.from_env({}).policy.max_message_chars == HubConfig().max_message_chars
    assert settings.customer_token_secret is None
    assert settings.redis_url is None


def test_allowed_origins_and_metadata_key_from_env() -> None:
    # Demo mode: any origin unless HUB_CORS_ORIGINS says otherwise; production: only its own.
    assert HubSettings.from_env({"PAYASSIST_DEMO": "1"}).cors_origins == ("*",)
    assert HubSettings.from_env({}).cors_origins == ()
    narrowed = HubSettings.from_env(
        {"PAYASSIST_DEMO": "1", "HUB_CORS_ORIGINS": "http://localhost:3000/"}
    )
    assert narrowed.cors_origins == ("http://localhost:3000",)
    assert HubSettings.from_env({}).metadata_key == "metadata"
    assert HubSettings.from_env({"HUB_METADATA_KEY": "customData"}).metadata_key == "customData"


@pytest.mark.parametrize(
    "environ",
    [
        {"HUB_PORT": "eighty"},
        {"HUB_RASA_TIMEOUT": "0"},
        {"HUB_RASA_FAILURES": "0"},
        {"HUB_RASA_CONCURRENCY": "0"},
        {"HUB_HEARTBEAT_INTERVAL": "0"},
        {"HUB_HEARTBEAT_INTERVAL": "often"},
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        HubSettings.from_env(environ)
