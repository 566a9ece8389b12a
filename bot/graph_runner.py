"""Run prediction graphs in a cached dependency order instead of through dask.

Rasa 3.6 runs every graph (the NLU parse and each policy prediction of a turn) through dask's
scheduler, which rebuilds and re-orders the task graph on every call although a prediction
graph always runs in the same order. :class:`SequentialGraphRunner` computes that order once per
set of targets and calls the same ``GraphNode`` objects in it. :func:`apply` makes Rasa's
message processor (which loads models for serving) use it; training keeps Rasa's runner.
"""

from __future__ import annotations

from typing import Any

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_stock_runner = rasa.core.processor.DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):  # type: ignore[misc]
    """Runs a prediction graph's nodes in a cached dependency order, without dask.

    Same contract as :class:`DaskGraphRunner` (whose node instantiation it inherits): each
    node is called with its dependencies' ``(name, output)`` pairs in the order of its
    ``needs``, inputs are passed as ``(input_name, value)``, and the result maps each target
    to its output. Errors are raised as dask's runner raises them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the runner (arguments as for :class:`DaskGraphRunner`)."""
        super().__init__(*args, **kwargs)
        self._orders: dict[tuple[str, ...], tuple[str, ...]] = {}

    def _order(self, targets: tuple[str, ...]) -> tuple[str, ...]:
        """Every node the targets need, each after its dependencies (computed once)."""
        cached = self._orders.get(targets)
        if cached is not None:
            return cached
        nodes = self._graph_schema.nodes
        order: list[str] = []
        done: set[str] = set()

        def visit(name: str, path: frozenset[str]) -> None:
            if name in done or name not in nodes:  # not a node: an input placeholder
                return
            if name in path:
                raise GraphRunError(f"The graph has a cycle through '{name}'.")
            for dependency in nodes[name].needs.values():
                visit(dependency, path | {name})
            done.add(name)
            order.append(name)

        for target in targets:
            visit(target, frozenset())
        self._orders[targets] = result = tuple(order)
        return result

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        """Run the graph (see :meth:`DaskGraphRunner.run`)."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        nodes = self._graph_schema.nodes
        values: dict[str, Any] = {}
        for input_name, input_value in (inputs or {}).items():
            if isinstance(input_value, str) and input_value in nodes:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure that "
                    f"none of the input names passed to the `run` method are the same as node "
                    f"names in the graph schema."
                )
            values[input_name] = (input_name, input_value)
        try:
            for name in self._order(run_targets):
                needs = nodes[name].needs.values()
                values[name] = self._instantiated_nodes[name](*(values[n] for n in needs))
        except KeyError as missing:
            raise GraphRunError(f"Graph input {missing} was not provided.") from missing
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] for target in run_targets)


def apply() -> None:
    """Make Rasa load models for serving with the sequential runner (idempotent)."""
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    rasa.core.processor.DaskGraphRunner = _stock_runner  # type: ignore[misc]
