"""Debug-log arguments are copied only while debug messages are logged."""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
from collections.abc import Iterator

import pytest
from rasa.utils.log_utils import configure_structlog

from bot import debug_copies


@pytest.fixture
def installed() -> Iterator[None]:
    debug_copies.apply()
    yield
    debug_copies.restore()
    configure_structlog(logging.INFO)


def _copy_uses(module_name: str) -> list[tuple[str, bool]]:
    """Every ``copy.<attr>`` in the module, and whether it is an argument of a debug call."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    in_debug: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "debug"
        ):
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                in_debug.update(id(inner) for inner in ast.walk(argument))
    return [
        (node.attr, id(node) in in_debug)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "copy"
    ]


@pytest.mark.parametrize("module_name", debug_copies.MODULES)
def test_copy_is_only_used_for_debug_arguments(module_name: str) -> None:
    uses = _copy_uses(module_name)
    assert uses, "the module no longer uses copy: drop it from MODULES"
    assert all(attr == "deepcopy" and in_debug for attr, in_debug in uses), uses


def test_no_copy_while_debug_is_dropped(installed: None) -> None:
    configure_structlog(logging.INFO)
    module = importlib.import_module("rasa.core.processor")
    value = {"events": [{"event": "user"}]}
    assert module.copy.deepcopy(value) is value


def test_real_copy_while_debug_is_logged(installed: None) -> None:
    configure_structlog(logging.DEBUG)
    module = importlib.import_module("rasa.core.policies.rule_policy")
    value = {"states": [{"user": {"intent": "greet"}}]}
    copied = module.copy.deepcopy(value)
    assert copied == value
    assert copied is not value
    assert copied["states"][0] is not value["states"][0]


def test_other_copy_functions_pass_through(installed: None) -> None:
    module = importlib.import_module("rasa.core.policies.memoization")
    value = [1, [2]]
    assert module.copy.copy(value) == value
    assert module.copy.copy(value) is not value


def test_restore_puts_the_module_back() -> None:
    debug_copies.apply()
    debug_copies.restore()
    import copy

    for name in debug_copies.MODULES:
        assert importlib.import_module(name).copy is copy
