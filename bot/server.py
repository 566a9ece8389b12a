"""Run Rasa with the project's runtime fixes: ``python -m bot.server run --model models ...``.

Takes exactly the arguments of the ``rasa`` command (``run``, ``shell``, ``test``...). Before
handing over to Rasa's own entry point it applies :func:`apply_runtime_fixes`, the changes to
stock Rasa 3.6 behaviour that this project depends on for speed. Each fix keeps Rasa's
behaviour and error messages; they are applied here, at the process boundary, and not as an
import side effect, so nothing else that imports Rasa is changed behind its back.

Measured on the routine question "when is my next payment due?" (docs/benchmarks.md): Rasa
3.6 re-validates its own constant JSON schema for every action-server response
(``jsonschema.validate`` checks the schema against the draft 2020-12 meta-schema first), which
cost about 50 ms of CPU per custom action and form validation, more than everything else in a
turn together.

Rasa also runs every graph (the NLU parse and each of the 3-4 policy predictions of a turn)
through dask's scheduler, which rebuilds and re-orders a task graph on every call: about
1 ms per run of pure bookkeeping for graphs of a dozen nodes that always run in the same
order. :class:`SequentialGraphRunner` computes that order once per target set and calls the
same ``GraphNode`` objects in it, with the same inputs, outputs and errors.

An ``action_endpoint`` with ``actions_module`` instead of ``url`` runs the custom actions in
this process through rasa-sdk's executor (:mod:`bot.inprocess_actions`), which stock Rasa 3.6
cannot do: two HTTP round trips less per form turn. A loaded ``RulePolicy`` memoises which
rules match the recent states (:mod:`bot.rule_cache`), instead of walking every rule at every
prediction, and the policies of a prediction share one replay of the conversation into
dialogue states (:mod:`bot.state_cache`) instead of each replaying it again. Whether the
domain is empty is checked once per domain, not on every message, and the slots every new
tracker copies are copied directly (:mod:`bot.slot_copy`); the deep copies Rasa makes of
debug-log arguments are skipped while debug messages are dropped (:mod:`bot.debug_copies`).
One parse right after the model loads builds the NLU components' lazy matchers before the
first customer arrives.
"""

from __future__ import annotations

import functools
import logging
import sys
from typing import Any

import rasa.core.agent
import rasa.core.processor
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain

from bot import debug_copies, inprocess_actions, rule_cache, slot_copy, state_cache

_APPLIED: list[str] = []
logger = logging.getLogger(__name__)

# Parsed once right after the model loads (see :func:`_load_agent_warm`).
WARM_UP_TEXT = "hello, can I talk to a person about my next payment?"
_stock_load_agent = rasa.core.agent.load_agent
_stock_domain_is_empty = Domain.is_empty
IS_EMPTY_ATTR = "_is_empty_memo"


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Draft202012Validator:
    """The validator for action-server responses, built (and its schema checked) once."""
    schema = RemoteAction.action_response_format_spec()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with the validator built once.

    Same checks and the same error text as Rasa's, minus re-checking the constant schema.
    """
    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        "the Action endpoint is valid. For more information about the format visit "
        "https://rasa.com/docs/rasa/custom-actions"
    )
    raise error


def _domain_is_empty(self: Domain) -> bool:
    """``Domain.is_empty``, answered once per domain object.

    Stock Rasa builds an empty domain and compares both as dictionaries on every parsed
    message (``MessageProcessor._check_for_unseen_features``). A loaded domain never changes.
    """
    memo = self.__dict__.get(IS_EMPTY_ATTR)
    if memo is None:
        memo = bool(_stock_domain_is_empty(self))
        self.__dict__[IS_EMPTY_ATTR] = memo
    return bool(memo)


class SequentialGraphRunner(DaskGraphRunner):  # type: ignore[misc]
    """Runs a prediction graph's nodes in a cached dependency order, without dask.

    Same contract as :class:`DaskGraphRunner` (whose node instantiation it inherits): each
    node is called with its dependencies' ``(name, output)`` pairs in the order of its
    ``needs``, inputs are passed as ``(input_name, value)``, and the result maps each target
    to its output. Only prediction uses it; training keeps Rasa's runner.
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


async def _load_agent_warm(*args: Any, **kwargs: Any) -> Any:
    """Rasa's ``load_agent``, then one parse so the first customer does not pay for warm-up.

    Several NLU components build their matchers lazily on their first message (the
    explicit-request phrase matcher analyses the whole phrase list with spaCy): about 0.8 s
    that the first customer after every start waited for. The parse runs before the server
    reports the model loaded (``/status``), so start-up time includes it. A failure here is
    logged and left for the first real message to report.
    """
    agent = await _stock_load_agent(*args, **kwargs)
    if agent is not None and agent.is_ready():
        try:
            await agent.parse_message(WARM_UP_TEXT)
        except Exception:  # the real first message surfaces the error properly
            logger.warning("warm-up parse failed", exc_info=True)
    return agent


def apply_runtime_fixes() -> list[str]:
    """Apply the fixes once (idempotent); the names of those applied, for logs and tests."""
    if not _APPLIED:
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        _APPLIED.append("cached action-response schema validator")
        rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
        _APPLIED.append("sequential prediction graph runner")
        inprocess_actions.apply()
        _APPLIED.append("in-process custom actions for an actions_module endpoint")
        rule_cache.apply()
        _APPLIED.append("rule matches cached for loaded rule policies")
        state_cache.apply()
        _APPLIED.append("dialogue states memoised per tracker history")
        Domain.is_empty = _domain_is_empty  # type: ignore[method-assign]
        _APPLIED.append("domain emptiness checked once per domain")
        slot_copy.apply()
        _APPLIED.append("slots copied by attribute dictionary")
        debug_copies.apply()
        _APPLIED.append("debug-log arguments copied only when debug is logged")
        rasa.core.agent.load_agent = _load_agent_warm
        _APPLIED.append("one warm-up parse after the model loads")
    return list(_APPLIED)


def main(argv: list[str] | None = None) -> None:
    """Apply the fixes, then run Rasa's command line with ``argv`` (default: ``sys.argv``)."""
    apply_runtime_fixes()
    from rasa.__main__ import main as rasa_main

    if argv is not None:
        sys.argv = ["rasa", *argv]
    else:
        sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
