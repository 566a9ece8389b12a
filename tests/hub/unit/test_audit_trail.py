"""Audit entries written by the agents' actions, in the action's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.domain.errors import ClaimConflict, NotAllowed
from hub.domain.privacy import Actor
from hub.persistence import models as m


def _actions(service) -> list[tuple[int | None, str, str | None]]:
    with service.store.read() as s:
        rows = s.execute(select(m.AuditEntry).order_by(m.AuditEntry.id)).scalars()
        return [(r.agent_id, r.action, r.conversation_id) for r in rows]


def test_each_action_is_recorded_with_its_change_and_refusals_too(service, make_agent, queued):
    ana, ben = make_agent(), make_agent()
    boss = make_agent((), role="supervisor")
    conv = queued()
    as_ana, as_ben, as_boss = Actor(ana, "session:1"), Actor(ben, "session:2"), Actor(boss, "cli:x")
    # Offered (ben serves the queue) is not owning: no context before a claim.
    with pytest.raises(NotAllowed):
        service.work.context(ben, conv, as_ben)
    service.work.claim(ana, conv, as_ana)
    with pytest.raises(ClaimConflict):
        service.work.claim(ben, conv, as_ben)  # lost the race: nothing was seen, nothing logged
    service.work.context(boss, conv, as_boss)  # supervisors may read any
    service.work.transfer(ana, conv, "disputes", as_ana)
    with pytest.raises(NotAllowed):
        service.work.context(ana, conv, as_ana)  # not hers any more
    assert _actions(service) == [
        (ben, "context_denied", conv),
        (ana, "context_opened", conv),
        (boss, "context_opened", conv),
        (ana, "transferred", conv),
        (ana, "context_denied", conv),
    ]


def test_a_refused_change_leaves_no_entry(service, make_agent, queued):
    ana, ben = make_agent(), make_agent()
    conv = queued()
    service.work.claim(ana, conv, Actor(ana, "session:1"))
    with pytest.raises(NotAllowed):
        service.work.close(ben, conv, "resolved", Actor(ben, "session:2"))
    service.work.close(ana, conv, "resolved", Actor(ana, "session:1"))
    assert [a for _, a, _ in _actions(service)] == ["context_opened", "closed"]
    with service.store.read() as s:
        closed = s.execute(select(m.AuditEntry).where(m.AuditEntry.action == "closed")).scalar_one()
    assert closed.detail == {"disposition": "resolved"}
    assert closed.session_ref == "session:1"
    assert closed.agent_username is not None


def test_only_supervisors_read_the_log_and_the_read_is_recorded(service, make_agent):
    ana = make_agent()
    boss = make_agent((), role="supervisor")
    with pytest.raises(NotAllowed):
        service.audit.entries(Actor(ana, "session:1"))
    assert service.audit.entries(Actor(boss, "session:2")) == []
    assert [a for _, a, _ in _actions(service)] == ["audit_read"]
