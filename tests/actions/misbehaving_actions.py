"""Actions that fail on purpose, for the in-process executor's error mapping tests."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection


class ActionRejects(Action):
    """Rejects its execution, as a form that cannot fill its slot does."""

    def name(self) -> str:
        return "action_rejects"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raise ActionExecutionRejection(self.name(), "not now")


class ActionCrashes(Action):
    """Raises an unexpected error."""

    def name(self) -> str:
        return "action_crashes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raise RuntimeError("database on fire")
