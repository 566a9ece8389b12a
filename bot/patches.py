"""The project's runtime patches of Rasa, applied from one place and only on tested versions.

Each patch module in :data:`PATCHES` replaces private parts of Rasa 3.6 (or rasa-sdk,
structlog) to make serving faster or to run the actions in-process, and has a test that
compares it with stock behaviour. Private APIs change without notice between releases, so
:func:`apply_all` first checks the installed versions against :data:`TESTED_WITH` and refuses
to patch anything (:class:`UnsupportedVersionError`) on another version. The patch modules
are imported only after that check: some read private attributes when they are imported.

After upgrading Rasa: run each patch's test against the new version, fix what differs, then
update :data:`TESTED_WITH`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from collections.abc import Sequence
from dataclasses import dataclass

# The exact versions every patch was written for and tested against (uv.lock pins them).
TESTED_WITH: dict[str, str] = {"rasa": "3.6.21", "rasa-sdk": "3.6.2", "structlog": "23.3.0"}


@dataclass(frozen=True)
class Patch:
    """One patch module: it has ``apply()`` and ``restore()``, both idempotent.

    Attributes:
        module: The module's import name.
        description: What the patch changes, for logs and tests.
        requires: Distributions whose private APIs it uses (keys of :data:`TESTED_WITH`).
    """

    module: str
    description: str
    requires: tuple[str, ...] = ("rasa",)


PATCHES: tuple[Patch, ...] = (
    Patch("bot.action_validation", "cached action-response schema validator"),
    Patch("bot.graph_runner", "sequential prediction graph runner"),
    Patch(
        "bot.inprocess_actions",
        "in-process custom actions for an actions_module endpoint",
        ("rasa", "rasa-sdk"),
    ),
    Patch("bot.rule_cache", "rule matches cached for loaded rule policies"),
    Patch("bot.state_cache", "dialogue states memoised per tracker history"),
    Patch("bot.domain_empty", "domain emptiness checked once per domain"),
    Patch("bot.slot_copy", "slots copied by attribute dictionary"),
    Patch("bot.active_loop_state", "active loop copied for current_state by a JSON-aware walk"),
    Patch(
        "bot.debug_copies",
        "debug-log arguments copied only when debug is logged",
        ("rasa", "structlog"),
    ),
    Patch("bot.warm_start", "one warm-up parse after the model loads"),
    Patch("bot.language_slots", "language and locale slots set in action_extract_slots"),
)

_applied: list[Patch] = []


class UnsupportedVersionError(RuntimeError):
    """An installed package is not the version the patches were tested with.

    Attributes:
        mismatches: Distribution -> (installed version or None when missing, tested version).
        patches: Descriptions of the patches that depend on a mismatched distribution.
    """

    def __init__(
        self, mismatches: dict[str, tuple[str | None, str]], patches: Sequence[str]
    ) -> None:
        """Build the message from what differs and which patches it concerns."""
        self.mismatches = mismatches
        self.patches = list(patches)
        found = ", ".join(
            f"{name} {installed or 'not installed'} (tested: {tested})"
            for name, (installed, tested) in sorted(mismatches.items())
        )
        super().__init__(
            f"the Rasa runtime patches (bot/patches.py) were tested with other versions: "
            f"{found}. Affected: {'; '.join(self.patches)}. Install the locked versions "
            f"(uv.lock), or check each patch against the new version with its test and "
            f"update TESTED_WITH."
        )


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution (``importlib.metadata``), None if missing."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_versions(patches: Sequence[Patch] = PATCHES) -> None:
    """Refuse versions the patches were not tested with.

    Raises:
        UnsupportedVersionError: A required distribution is missing or has another version.
    """
    mismatches: dict[str, tuple[str | None, str]] = {}
    for name in sorted({name for patch in patches for name in patch.requires}):
        tested = TESTED_WITH[name]
        installed = installed_version(name)
        if installed != tested:
            mismatches[name] = (installed, tested)
    if mismatches:
        affected = [p.description for p in patches if set(p.requires) & set(mismatches)]
        raise UnsupportedVersionError(mismatches, affected)


def apply_all() -> list[str]:
    """Check the versions, then apply every patch not applied yet (safe to call again).

    Returns:
        The descriptions of the applied patches, in order.

    Raises:
        UnsupportedVersionError: Nothing was patched (see :func:`check_versions`).
    """
    check_versions()
    for patch in PATCHES:
        if patch not in _applied:
            importlib.import_module(patch.module).apply()
            _applied.append(patch)
    return [patch.description for patch in _applied]


def restore_all() -> None:
    """Undo every patch, newest first, however it was applied (tests)."""
    for patch in reversed(PATCHES):
        module = sys.modules.get(patch.module)
        if module is not None:  # a module never imported patched nothing
            module.restore()
    _applied.clear()
