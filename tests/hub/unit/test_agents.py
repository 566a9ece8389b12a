from __future__ import annotations

import io
from datetime import timedelta

import pytest

from hub import agents as agents_cli
from hub.domain.errors import NotAllowed, ValidationFailed
from hub.persistence.models import AgentSession as SessionRow
from hub.services.accounts import hash_token
from tests.hub.unit.conftest import PASSWORD


@pytest.fixture
def ana(service):
    return service.agents.create("Ana", "Ana García", "agent", ["payments"], PASSWORD, 3)


def test_login_issues_a_hashed_expiring_session(service, ana, hub_store, clock):
    session = service.agents.login("ana", PASSWORD)
    assert session is not None
    assert (session.agent_id, session.role, session.queues) == (
        ana.agent_id,
        "agent",
        ("payments",),
    )
    assert session.expires_at == clock.now + timedelta(hours=8)
    with hub_store.transaction() as s:
        stored = [row.token_hash for row in s.query(SessionRow).all()]
    assert stored == [hash_token(session.token)]
    assert session.token not in stored
    assert service.agents.authenticate(session.token).username == "ana"


def test_password_is_stored_as_argon2(service, ana, hub_store):
    with hub_store.transaction() as s:
        row = hub_store.agents.agent(s, ana.agent_id)
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash


@pytest.mark.parametrize(
    ("username", "password"),
    [("ana", "wrong password"), ("nobody", PASSWORD), ("", PASSWORD), ("ana", "x" * 300)],
)
def test_bad_logins_fail(service, ana, username, password):
    assert service.agents.login(username, password) is None


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 1000])
def test_unknown_tokens_do_not_authenticate(service, ana, token):
    assert service.agents.authenticate(token) is None


def test_session_expires(service, ana, clock):
    session = service.agents.login("ana", PASSWORD)
    clock.advance(8 * 3600 - 1)
    assert service.agents.authenticate(session.token) is not None
    clock.advance(1)
    assert service.agents.authenticate(session.token) is None


def test_logout_revokes_and_starts_grace(service, ana):
    session = service.agents.login("ana", PASSWORD)
    service.presence.set_presence(ana.agent_id, "online")
    service.presence.logout(session.token)
    assert service.agents.authenticate(session.token) is None
    assert service.presence.agent(ana.agent_id).presence == "offline"
    service.presence.logout(session.token)  # second logout is harmless


def test_failures_never_lock_the_account(service, ana):
    """Anyone can fail on purpose, so failures must not lock a known agent out.

    Throttling is per client address, in the hub (tests/hub/test_login_throttle.py).
    """
    for _ in range(20):
        assert service.agents.login("ana", "wrong password") is None
    assert service.agents.list_agents()[0].username == "ana"
    assert service.agents.login("ana", PASSWORD) is not None


def test_set_password_ends_sessions(service, ana):
    session = service.agents.login("ana", PASSWORD)
    service.agents.set_password("ana", "a brand new secret")
    assert service.agents.authenticate(session.token) is None
    assert service.agents.login("ana", PASSWORD) is None
    assert service.agents.login("ana", "a brand new secret") is not None


def test_disabled_account_cannot_log_in_or_go_online(service, ana):
    session = service.agents.login("ana", PASSWORD)
    service.agents.set_active("ana", False)
    assert service.agents.authenticate(session.token) is None
    assert service.agents.login("ana", PASSWORD) is None
    with pytest.raises(NotAllowed):
        service.presence.set_presence(ana.agent_id, "online")


@pytest.mark.parametrize(
    ("username", "role", "queues", "password", "field"),
    [
        ("a", "agent", ["payments"], PASSWORD, "username"),
        ("bad name", "agent", ["payments"], PASSWORD, "username"),
        ("bob", "boss", ["payments"], PASSWORD, "role"),
        ("bob", "agent", [], PASSWORD, "queues"),
        ("bob", "agent", ["nowhere"], PASSWORD, "queues"),
        ("bob", "agent", ["payments"], "short", "password"),
        ("ana", "agent", ["payments"], PASSWORD, "username"),
    ],
)
def test_create_validates(service, ana, username, role, queues, password, field):
    with pytest.raises(ValidationFailed) as info:
        service.agents.create(username, "Bob", role, queues, password)
    assert info.value.field == field


def test_supervisor_needs_no_queues(service):
    view = service.agents.create("sue", "Sue", "supervisor", [], PASSWORD)
    assert (view.role, view.capacity) == ("supervisor", 3)


def test_presence_validation(service, ana):
    with pytest.raises(ValidationFailed):
        service.presence.set_presence(ana.agent_id, "busy")
    assert service.presence.set_presence(ana.agent_id, "away").presence == "away"


def test_demo_accounts_get_fresh_random_passwords(service):
    first = service.agents.ensure_demo_accounts()
    assert [u for u, _ in first] == ["demo", "demo-supervisor", "demo-es"]
    assert all(len(pw) >= 16 for _, pw in first)
    assert service.agents.login("demo", first[0][1]).role == "agent"
    assert service.agents.login("demo-supervisor", first[1][1]).role == "supervisor"
    spanish = service.agents.login("demo-es", first[2][1])
    assert (spanish.role, spanish.languages) == ("agent", ("es", "en"))
    username, password = service.agents.ensure_demo_accounts()[0]
    assert username == "demo"
    assert password != first[0][1]
    assert service.agents.login("demo", first[0][1]) is None
    assert service.agents.login("demo", password) is not None


def test_cli_create_list_set_password(db_url, monkeypatch, capsys, service):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["--database-url", db_url, "create", "--username", "cli", "--display-name", "Cli"]
    code = agents_cli.main([*argv, "--queues", "payments,disputes", "--password-stdin"])
    assert code == 0
    assert service.agents.login("cli", PASSWORD).queues == ("payments", "disputes")
    assert agents_cli.main(["--database-url", db_url, "list"]) == 0
    assert "cli\tagent\tpayments,disputes" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert (
        agents_cli.main(
            ["--database-url", db_url, "set-password", "--username", "cli", "--password-stdin"]
        )
        == 0
    )
    assert service.agents.login("cli", "another long password") is not None


@pytest.mark.parametrize(
    "args",
    [
        ["create", "--username", "x1", "--display-name", "X", "--queues", "payments"],
        ["set-password", "--username", "ghost"],
    ],
)
def test_cli_errors_exit_2_without_traceback(db_url, monkeypatch, capsys, args):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert agents_cli.main(["--database-url", db_url, *args, "--password-stdin"]) == 2
    assert capsys.readouterr().err.startswith("error:")
