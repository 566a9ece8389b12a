"""The Rasa runtime fixes of ``bot.server``: same validation as stock Rasa, schema checked once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import server

REPO = Path(__file__).resolve().parents[2]
STOCK_VALIDATE = RemoteAction._validate_action_result


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_next_payment", EndpointConfig(url="http://127.0.0.1:1/webhook"))


@pytest.fixture
def fixed() -> Any:
    server.apply_runtime_fixes()
    yield server._validate_action_result
    RemoteAction._validate_action_result = STOCK_VALIDATE  # type: ignore[method-assign]
    server._APPLIED.clear()


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
def test_valid_results_pass_like_stock(action: RemoteAction, fixed: Any, result: Any) -> None:
    assert STOCK_VALIDATE(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_results_fail_like_stock(action: RemoteAction, fixed: Any, result: Any) -> None:
    with pytest.raises(ValidationError) as stock:
        STOCK_VALIDATE(action, result)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(result)
    assert ours.value.message == stock.value.message
    assert ours.value.path == stock.value.path


def test_schema_is_checked_once(
    action: RemoteAction, fixed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    original = jsonschema.Draft202012Validator.check_schema

    def counting_check(cls: type, schema: object) -> None:
        calls.append(schema)
        original(schema)

    monkeypatch.setattr(
        jsonschema.Draft202012Validator, "check_schema", classmethod(counting_check)
    )
    server._action_response_validator.cache_clear()
    for _ in range(5):
        action._validate_action_result({"events": [], "responses": []})
    assert len(calls) == 1


def test_apply_is_idempotent(fixed: Any) -> None:
    assert server.apply_runtime_fixes() == server.apply_runtime_fixes()
    assert RemoteAction._validate_action_result is server._validate_action_result


def test_entry_point_runs_rasa_cli() -> None:
    done = subprocess.run(  # noqa: S603 - fixed argv, this interpreter
        [sys.executable, "-m", "bot.server", "--version"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Rasa Version" in done.stdout
    assert "3.6.21" in done.stdout
