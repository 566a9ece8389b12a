"""Demo mode writes the demo logins for the run command's banner, readable by the owner only."""

from __future__ import annotations

import io
import json
import stat

from connectors.__main__ import prepare_demo_accounts
from hub.settings import HubSettings


def test_demo_mode_prints_and_saves_working_logins(service, tmp_path):
    path = tmp_path / "var" / "demo-agent.json"
    out = io.StringIO()
    prepare_demo_accounts(service, HubSettings(demo=True, demo_credentials_path=path), out)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert set(saved) == {
        *("username", "password", "supervisor_username", "supervisor_password"),
        *("spanish_username", "spanish_password"),
    }
    assert (saved["username"], saved["supervisor_username"]) == ("demo", "demo-supervisor")
    assert saved["spanish_username"] == "demo-es"
    spanish = service.agents.login(saved["spanish_username"], saved["spanish_password"])
    assert "es" in spanish.languages
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert service.agents.login(saved["username"], saved["password"]).role == "agent"
    assert service.agents.login(
        saved["supervisor_username"], saved["supervisor_password"]
    ).role == ("supervisor")
    printed = out.getvalue()
    assert saved["password"] in printed
    assert saved["supervisor_password"] in printed
    assert [p.name for p in path.parent.iterdir()] == ["demo-agent.json"]  # no temp files left


def test_a_second_run_replaces_the_file_and_the_old_passwords(service, tmp_path):
    path = tmp_path / "demo-agent.json"
    settings = HubSettings(demo=True, demo_credentials_path=path)
    prepare_demo_accounts(service, settings, io.StringIO())
    first = json.loads(path.read_text(encoding="utf-8"))
    path.chmod(0o644)
    prepare_demo_accounts(service, settings, io.StringIO())
    second = json.loads(path.read_text(encoding="utf-8"))
    assert second["password"] != first["password"]
    assert service.agents.login("demo", first["password"]) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_outside_demo_mode_nothing_is_written_and_stale_logins_are_removed(service, tmp_path):
    path = tmp_path / "demo-agent.json"
    out = io.StringIO()
    prepare_demo_accounts(service, HubSettings(demo=False, demo_credentials_path=path), out)
    assert not path.exists()
    path.write_text("{}", encoding="utf-8")
    prepare_demo_accounts(service, HubSettings(demo=False, demo_credentials_path=path), out)
    assert not path.exists()
    assert out.getvalue() == ""
    assert service.agents.login("demo", "anything-at-all") is None
