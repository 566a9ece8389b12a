"""The cached action-response validator: same validation as stock Rasa, schema checked once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import action_validation

STOCK_VALIDATE = RemoteAction._validate_action_result


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_next_payment", EndpointConfig(url="http://127.0.0.1:1/webhook"))


@pytest.fixture
def fixed() -> Iterator[None]:
    action_validation.apply()
    yield
    action_validation.restore()


VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_number", "value": "ORD-1"}], "responses": []},
    {"responses": [{"text": "Your next payment is €45.50."}]},
    {},
]
INVALID = [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
    {"events": [{"event": "slot", "name": 3}]},
]


@pytest.mark.parametrize("result", VALID)
def test_valid_results_pass_like_stock(action: RemoteAction, fixed: None, result: Any) -> None:
    assert STOCK_VALIDATE(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_results_fail_like_stock(action: RemoteAction, fixed: None, result: Any) -> None:
    with pytest.raises(ValidationError) as stock:
        STOCK_VALIDATE(action, result)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(result)
    assert ours.value.message == stock.value.message
    assert ours.value.path == stock.value.path


def test_schema_is_checked_once(
    action: RemoteAction, fixed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    original = jsonschema.Draft202012Validator.check_schema

    def counting_check(cls: type, schema: object) -> None:
        calls.append(schema)
        original(schema)

    monkeypatch.setattr(
        jsonschema.Draft202012Validator, "check_schema", classmethod(counting_check)
    )
    action_validation.response_validator.cache_clear()
    for _ in range(5):
        action._validate_action_result({"events": [], "responses": []})
    assert len(calls) == 1


def test_restore_puts_stock_back() -> None:
    action_validation.apply()
    action_validation.restore()
    assert RemoteAction._validate_action_result is STOCK_VALIDATE
