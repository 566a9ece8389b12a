"""The runtime patches: applied from one place, only on the tested versions, safely twice."""

from __future__ import annotations

import copy
import importlib
import importlib.metadata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rasa.core.agent
import rasa.core.processor
import rasa.shared.core.trackers
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import Slot
from rasa.utils.endpoints import EndpointConfig

from bot import patches

REPO = Path(__file__).resolve().parents[2]


def _patched_attributes() -> dict[str, Any]:
    """What the patches replace, as Rasa's code looks it up."""
    return {
        "validator": RemoteAction._validate_action_result,
        "runner": rasa.core.processor.DaskGraphRunner,
        "endpoint request": EndpointConfig.request,
        "rule keys": RulePolicy._get_possible_keys,
        "rule load": RulePolicy.load.__func__,  # type: ignore[attr-defined]
        "rule train": RulePolicy.train,
        "states": Domain.states_for_tracker_history,
        "is_empty": Domain.is_empty,
        "slot copy": Slot.__dict__.get("__copy__"),
        "processor copy": rasa.core.processor.copy,
        "load_agent": rasa.core.agent.load_agent,
        "extract slots": ActionExtractSlots.run,
        "tracker dataclasses": rasa.shared.core.trackers.dataclasses,  # type: ignore[attr-defined]
    }


STOCK = _patched_attributes()


@pytest.fixture
def restored() -> Iterator[None]:
    """Every test starts and ends with stock Rasa."""
    patches.restore_all()
    assert _patched_attributes() == STOCK
    yield
    patches.restore_all()


def test_apply_all_patches_everything_and_restore_all_undoes_it(restored: None) -> None:
    applied = patches.apply_all()
    assert applied == [patch.description for patch in patches.PATCHES]
    now = _patched_attributes()
    assert [name for name, value in now.items() if value is STOCK[name]] == []
    patches.restore_all()
    assert _patched_attributes() == STOCK


def test_applying_twice_is_safe(restored: None) -> None:
    first = patches.apply_all()
    once = _patched_attributes()
    assert patches.apply_all() == first
    assert _patched_attributes() == once
    # Nothing was wrapped twice: a patched call still reaches stock Rasa exactly once.
    slot = Domain.load(str(REPO / "domain.yml")).slots[0]
    assert copy.copy(slot).__dict__ == slot.__dict__
    assert Domain.empty().is_empty() is True
    action = RemoteAction("a", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    assert action._validate_action_result({"events": [], "responses": []}) is True


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda patch: patch.module)
def test_each_patch_applies_twice_and_restores(restored: None, patch: patches.Patch) -> None:
    module = importlib.import_module(patch.module)
    module.apply()
    once = _patched_attributes()
    assert once != STOCK
    module.apply()
    assert _patched_attributes() == once
    module.restore()
    assert _patched_attributes() == STOCK


def _versions(**changed: str | None) -> Callable[[str], str | None]:
    """A version lookup where the given distributions (``rasa_sdk`` for rasa-sdk) differ."""
    overrides = {name.replace("_", "-"): version for name, version in changed.items()}

    def lookup(distribution: str) -> str | None:
        if distribution in overrides:
            return overrides[distribution]
        return patches.TESTED_WITH[distribution]

    return lookup


@pytest.mark.parametrize(
    ("changed", "affected"),
    [
        ({"rasa": "3.7.0"}, len(patches.PATCHES)),
        ({"rasa": "3.6.20"}, len(patches.PATCHES)),
        ({"rasa_sdk": "3.7.1"}, 1),
        ({"structlog": None}, 1),
    ],
    ids=["rasa-newer", "rasa-older", "rasa-sdk", "structlog-missing"],
)
def test_other_versions_are_refused_before_anything_is_patched(
    restored: None,
    monkeypatch: pytest.MonkeyPatch,
    changed: dict[str, str | None],
    affected: int,
) -> None:
    monkeypatch.setattr(patches, "installed_version", _versions(**changed))
    with pytest.raises(patches.UnsupportedVersionError) as refused:
        patches.apply_all()
    ((name, (installed, tested)),) = refused.value.mismatches.items()
    assert name == next(iter(changed)).replace("_", "-")
    assert installed == next(iter(changed.values()))
    assert tested == patches.TESTED_WITH[name]
    assert f"{name} {installed or 'not installed'} (tested: {tested})" in str(refused.value)
    assert len(refused.value.patches) == affected
    assert _patched_attributes() == STOCK


def test_a_refused_version_stays_refused_after_the_patches_were_applied(
    restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    patches.apply_all()
    monkeypatch.setattr(patches, "installed_version", _versions(rasa="4.0.0"))
    with pytest.raises(patches.UnsupportedVersionError):
        patches.apply_all()


def test_this_environment_has_the_tested_versions() -> None:
    patches.check_versions()  # uv.lock and TESTED_WITH agree
    assert patches.installed_version("rasa") == importlib.metadata.version("rasa")
    assert patches.installed_version("no-such-distribution-for-payassist") is None


def test_every_patch_names_tested_versions_and_can_be_undone() -> None:
    for patch in patches.PATCHES:
        assert "rasa" in patch.requires
        assert set(patch.requires) <= set(patches.TESTED_WITH)
        module = importlib.import_module(patch.module)
        assert callable(module.apply)
        assert callable(module.restore)
    assert len({patch.description for patch in patches.PATCHES}) == len(patches.PATCHES)
