"""The sequential prediction-graph runner: the same results and errors as Rasa's dask runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rasa.core.processor
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.graph_runner import SequentialGraphRunner, apply, restore


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
def runners(tmp_path: Path) -> tuple[DaskGraphRunner, SequentialGraphRunner]:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(DIAMOND, "test")
    return (
        DaskGraphRunner.create(DIAMOND, storage, context),
        SequentialGraphRunner.create(DIAMOND, storage, context),
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
    runners: tuple[DaskGraphRunner, SequentialGraphRunner],
    inputs: dict[str, Any],
    targets: list[str],
) -> None:
    dask_runner, sequential = runners
    expected = dask_runner.run(inputs=inputs, targets=targets)
    assert sequential.run(inputs=inputs, targets=targets) == expected
    assert sequential.run(inputs=inputs, targets=targets) == expected  # cached order


def test_sequential_runner_runs_only_what_targets_need(
    runners: tuple[DaskGraphRunner, SequentialGraphRunner],
) -> None:
    _, sequential = runners
    assert sequential._order(("left",)) == ("one", "left")
    order = sequential._order(("top",))
    assert set(order) == {"one", "left", "right", "top"}
    assert order.index("one") < order.index("left") < order.index("top")


def test_sequential_runner_refuses_an_input_named_like_a_node(
    runners: tuple[DaskGraphRunner, SequentialGraphRunner],
) -> None:
    _, sequential = runners
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        sequential.run(inputs={"__input__": "left"}, targets=["top"])


def test_sequential_runner_reports_a_missing_input(
    runners: tuple[DaskGraphRunner, SequentialGraphRunner],
) -> None:
    _, sequential = runners
    with pytest.raises(GraphRunError, match="__input__"):
        sequential.run(inputs={}, targets=["top"])


def test_sequential_runner_passes_component_errors_on_like_dask(
    runners: tuple[DaskGraphRunner, SequentialGraphRunner],
) -> None:
    dask_runner, sequential = runners
    with pytest.raises(GraphComponentException) as stock:
        dask_runner.run(inputs={"__input__": -1}, targets=["right"])
    with pytest.raises(GraphComponentException) as ours:
        sequential.run(inputs={"__input__": -1}, targets=["right"])
    assert str(ours.value) == str(stock.value)


@pytest.fixture
def applied() -> Iterator[None]:
    apply()
    yield
    restore()


def test_rasa_loads_models_with_the_sequential_runner(applied: None) -> None:
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner


def test_restore_puts_dask_back() -> None:
    apply()
    restore()
    assert rasa.core.processor.DaskGraphRunner is DaskGraphRunner
