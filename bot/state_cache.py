"""Share one replay of a tracker into dialogue states among the policies of a prediction.

Rasa 3.6 replays the whole conversation into states (``Domain.states_for_tracker_history``)
for every policy at every prediction, from scratch each time: ``RulePolicy`` twice, the
memoization policy once more. The replay depends only on the domain and the tracker's events,
so it is done once per domain, event sequence and ``omit_unset_slots``, and the states for
either ``ignore_rule_only_turns`` setting are derived from the recorded turns with the stock
loop's own steps. Callers edit what they get, so every call returns fresh lists. Why this
equals stock: docs/design-notes.md; ``tests/bot/test_state_cache.py`` compares.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

# Replays kept: every prediction of a turn, the forms' temporary trackers included.
MAX_ENTRIES = 16
# A replay whose sub-states hold any other value is not cached (callers could change it).
IMMUTABLE = (str, int, float, bool, tuple, type(None))

State = dict[str, dict[str, Any]]
_stock_states_for_tracker_history = Domain.states_for_tracker_history


@dataclass(frozen=True)
class Turn:
    """What the stock loop reads from the replayed tracker at one action (never handed out)."""

    state: State
    previous_action: dict[str, Any] | None
    hide_rule_turn: bool
    # A follow-up action or the active loop's own turn: the hidden flag stays as it was.
    keeps_hidden_flag: bool


_cache: OrderedDict[tuple[Any, ...], tuple[list[Turn], Domain, tuple[Any, ...]]] = OrderedDict()


def _fresh(state: State) -> State:
    return {key: dict(sub_state) for key, sub_state in state.items()}


def _immutable_values(sub_state: Any) -> bool:
    return sub_state is None or (
        isinstance(sub_state, dict) and all(isinstance(v, IMMUTABLE) for v in sub_state.values())
    )


def replay(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> list[Turn]:
    """One pass over the tracker's prior trackers, recording each action's turn."""
    turns = []
    for prior, hide_rule_turn in tracker.generate_all_prior_trackers():
        previous_action = domain._get_prev_action_sub_state(prior)
        turns.append(
            Turn(
                state=domain.get_active_state(prior, omit_unset_slots=omit_unset_slots),
                previous_action=dict(previous_action) if previous_action else previous_action,
                hide_rule_turn=hide_rule_turn,
                keeps_hidden_flag=bool(prior.followup_action)
                or prior.latest_action_name == prior.active_loop_name,
            )
        )
    return turns


def states_from_turns(
    domain: Domain,
    turns: list[Turn],
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> list[State]:
    """The loop of Rasa 3.6's ``Domain.states_for_tracker_history`` over recorded turns."""
    states: list[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for turn in turns:
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = turn.previous_action
            if not turn.keeps_hidden_flag:
                turn_was_hidden = turn.hide_rule_turn
            if turn_was_hidden:
                continue
        state = _fresh(turn.state)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = dict(last_ml_action_sub_state)
        states.append(domain._clean_state(state))
    return [_fresh(state) for state in states]


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """``Domain.states_for_tracker_history`` from a memoised replay (module docstring)."""
    events = tuple(tracker.events)
    key = (id(self), tuple(map(id, events)), bool(omit_unset_slots))
    entry = _cache.get(key)
    if entry is not None:
        _cache.move_to_end(key)
        turns = entry[0]
    else:
        turns = replay(self, tracker, bool(omit_unset_slots))
        if not all(
            _immutable_values(turn.previous_action)
            and all(_immutable_values(sub) for sub in turn.state.values())
            for turn in turns
        ):
            return _stock_states_for_tracker_history(  # type: ignore[no-any-return]
                self,
                tracker,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
        # The entry keeps the domain and the events alive: their ids in the key stay theirs.
        _cache[key] = (turns, self, events)
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return states_from_turns(self, turns, bool(ignore_rule_only_turns), rule_only_data)


def clear() -> None:
    """Forget every cached entry (tests)."""
    _cache.clear()


def apply() -> None:
    """Install the cache (idempotent)."""
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    Domain.states_for_tracker_history = _stock_states_for_tracker_history  # type: ignore[method-assign]
    clear()
