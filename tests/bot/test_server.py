"""The Rasa runtime fixes of ``bot.server``: same validation as stock Rasa, schema checked once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rasa.core.agent
import rasa.core.processor
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.utils.endpoints import EndpointConfig

from bot import inprocess_actions, rule_cache, server

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
    rasa.core.processor.DaskGraphRunner = DaskGraphRunner
    inprocess_actions.restore()
    rule_cache.restore()
    rasa.core.agent.load_agent = server._stock_load_agent
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


# --- the sequential graph runner ------------------------------------------------------------


class Constant(GraphComponent):  # type: ignore[misc]
    """A graph node that outputs its configured value."""

    def __init__(self, value: int) -> None:
        self.value = value

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Constant:
        return cls(int(config["value"]))

    def run(self) -> int:
        return self.value


class Combine(GraphComponent):  # type: ignore[misc]
    """A graph node that combines its two inputs (order matters: ``a * 10 + b``)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Combine:
        return cls()

    def run(self, a: int, b: int) -> int:
        if a < 0:
            raise ValueError("negative input")
        return a * 10 + b


def _node(uses: type, needs: dict[str, str], value: int | None = None) -> SchemaNode:
    config = {} if value is None else {"value": value}
    return SchemaNode(needs=needs, uses=uses, constructor_name="create", fn="run", config=config)


# A diamond with an input placeholder: both branches need `one`, `top` needs both branches.
DIAMOND = GraphSchema(
    {
        "one": _node(Constant, {}, 1),
        "left": _node(Combine, {"a": "one", "b": "__input__"}),
        "right": _node(Combine, {"a": "__input__", "b": "one"}),
        "top": _node(Combine, {"a": "left", "b": "right"}),
        "unused": _node(Constant, {}, 9),
    }
)


@pytest.fixture
def runners(tmp_path: Path) -> tuple[DaskGraphRunner, server.SequentialGraphRunner]:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(DIAMOND, "test")
    return (
        DaskGraphRunner.create(DIAMOND, storage, context),
        server.SequentialGraphRunner.create(DIAMOND, storage, context),
    )


@pytest.mark.parametrize(
    ("inputs", "targets"),
    [
        ({"__input__": 2}, ["top"]),
        ({"__input__": 0}, ["left", "right"]),
        ({"__input__": 7}, ["top", "one"]),
        ({}, ["one", "unused"]),
    ],
)
def test_sequential_runner_matches_dask(
    runners: tuple[DaskGraphRunner, server.SequentialGraphRunner],
    inputs: dict[str, Any],
    targets: list[str],
) -> None:
    dask_runner, sequential = runners
    expected = dask_runner.run(inputs=inputs, targets=targets)
    assert sequential.run(inputs=inputs, targets=targets) == expected
    assert sequential.run(inputs=inputs, targets=targets) == expected  # cached order


def test_sequential_runner_runs_only_what_targets_need(
    runners: tuple[DaskGraphRunner, server.SequentialGraphRunner],
) -> None:
    _, sequential = runners
    assert sequential._order(("left",)) == ("one", "left")
    order = sequential._order(("top",))
    assert set(order) == {"one", "left", "right", "top"}
    assert order.index("one") < order.index("left") < order.index("top")


def test_sequential_runner_refuses_an_input_named_like_a_node(
    runners: tuple[DaskGraphRunner, server.SequentialGraphRunner],
) -> None:
    _, sequential = runners
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        sequential.run(inputs={"__input__": "left"}, targets=["top"])


def test_sequential_runner_reports_a_missing_input(
    runners: tuple[DaskGraphRunner, server.SequentialGraphRunner],
) -> None:
    _, sequential = runners
    with pytest.raises(GraphRunError, match="__input__"):
        sequential.run(inputs={}, targets=["top"])


def test_sequential_runner_passes_component_errors_on_like_dask(
    runners: tuple[DaskGraphRunner, server.SequentialGraphRunner],
) -> None:
    dask_runner, sequential = runners
    with pytest.raises(GraphComponentException) as stock:
        dask_runner.run(inputs={"__input__": -1}, targets=["right"])
    with pytest.raises(GraphComponentException) as ours:
        sequential.run(inputs={"__input__": -1}, targets=["right"])
    assert str(ours.value) == str(stock.value)


def test_fixes_make_rasa_load_models_with_the_sequential_runner(fixed: Any) -> None:
    assert rasa.core.processor.DaskGraphRunner is server.SequentialGraphRunner


class _Agent:
    def __init__(self, ready: bool, fails: bool = False) -> None:
        self.ready, self.fails, self.parsed = ready, fails, []

    def is_ready(self) -> bool:
        return self.ready

    async def parse_message(self, text: str) -> dict[str, Any]:
        if self.fails:
            raise RuntimeError("spaCy went away")
        self.parsed.append(text)
        return {}


@pytest.mark.parametrize(
    ("ready", "fails", "parsed"), [(True, False, 1), (False, False, 0), (True, True, 0)]
)
def test_the_loaded_agent_is_warmed_up_once(
    fixed: Any, monkeypatch: pytest.MonkeyPatch, ready: bool, fails: bool, parsed: int
) -> None:
    import asyncio

    loaded = _Agent(ready, fails)

    async def stock_load(*args: Any, **kwargs: Any) -> _Agent:
        return loaded

    monkeypatch.setattr(server, "_stock_load_agent", stock_load)
    assert rasa.core.agent.load_agent is server._load_agent_warm
    assert asyncio.run(rasa.core.agent.load_agent(model_path="m")) is loaded
    assert loaded.parsed == [server.WARM_UP_TEXT] * parsed
