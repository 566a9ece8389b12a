"""An anonymous customer without the order number: told where to find it once, then the bot
stops asking (issue 15, "calm is not failure")."""

from __future__ import annotations

from typing import Any

from actions.forms import GET_HELP, STOP_ASKING, ActionOrderNumberHelp, helped_in_form_run
from tests.actions.conftest import make_tracker, run_action, texts

FORM = {"name": "order_form"}


def _form_run(*, helped: bool) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "order_form"},
        {"event": "active_loop", "name": "order_form"},
        {"event": "slot", "name": "requested_slot", "value": "order_number"},
    ]
    if helped:
        events += [
            {"event": "user", "text": "i don't know my order number", "parse_data": {}},
            {"event": "action", "name": "action_order_number_help"},
            {"event": "action", "name": "order_form"},
        ]
    return events


async def test_first_time_explains_where_to_find_the_number_and_keeps_the_form(services):
    tracker = make_tracker(
        intent="no_order_number", earlier_events=_form_run(helped=False), active_loop=FORM
    )
    assert not helped_in_form_run(tracker)
    messages, events = await run_action(ActionOrderNumberHelp(services), tracker)
    assert texts(messages) == [GET_HELP]
    assert events == []


async def test_second_time_stops_asking_without_handing_off(services):
    tracker = make_tracker(
        intent="no_order_number", earlier_events=_form_run(helped=True), active_loop=FORM
    )
    assert helped_in_form_run(tracker)
    messages, events = await run_action(ActionOrderNumberHelp(services), tracker)
    assert texts(messages) == [STOP_ASKING]
    assert "email address alone" in STOP_ASKING
    assert "sign in" in STOP_ASKING
    assert messages[0]["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]
    assert not any(e.get("name") == "action_handoff" for e in events)


async def test_help_from_an_earlier_form_run_does_not_count(services):
    earlier = [
        *_form_run(helped=True),
        {"event": "active_loop", "name": None},
        *_form_run(helped=False),
    ]
    tracker = make_tracker(intent="no_order_number", earlier_events=earlier, active_loop=FORM)
    messages, _ = await run_action(ActionOrderNumberHelp(services), tracker)
    assert texts(messages) == [GET_HELP]


async def test_outside_the_form_the_help_is_given_again(services):
    tracker = make_tracker(intent="no_order_number", earlier_events=_form_run(helped=True))
    messages, events = await run_action(ActionOrderNumberHelp(services), tracker)
    assert texts(messages) == [GET_HELP]
    assert events == []
