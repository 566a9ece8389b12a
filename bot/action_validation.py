"""Validate action-server responses with a validator built once.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which checks
its constant response schema against the JSON-schema meta-schema before every validation: the
most expensive step of a custom action call (figures: docs/design-notes.md).
:func:`validate_action_result` checks the schema once and then runs the same validation, with
the same errors and message, on every response.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction

_stock_validate_action_result = RemoteAction._validate_action_result


@functools.lru_cache(maxsize=1)
def response_validator() -> Draft202012Validator:
    """The validator for action-server responses, built (and its schema checked) once."""
    schema = RemoteAction.action_response_format_spec()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with the validator built once.

    Raises:
        jsonschema.ValidationError: The response does not match the schema (Rasa's message).
    """
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        "the Action endpoint is valid. For more information about the format visit "
        "https://rasa.com/docs/rasa/custom-actions"
    )
    raise error


def apply() -> None:
    """Install the cached validator (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    RemoteAction._validate_action_result = _stock_validate_action_result  # type: ignore[method-assign]
