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
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction

_APPLIED: list[str] = []


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


def apply_runtime_fixes() -> list[str]:
    """Apply the fixes once (idempotent); the names of those applied, for logs and tests."""
    if not _APPLIED:
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        _APPLIED.append("cached action-response schema validator")
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
