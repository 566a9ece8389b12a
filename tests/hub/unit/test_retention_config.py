"""The ``retention:`` section of ``hub.yml``: defaults, null = forever, clear errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hub.domain.errors import ConfigError
from hub.domain.policy import config_from_mapping
from hub.domain.retention import RetentionPolicy
from hub.settings import REPO_ROOT, load_policy


def test_the_shipped_hub_yml_sets_every_period():
    policy = load_policy(REPO_ROOT / "hub.yml").retention
    assert policy.transcripts == timedelta(days=365)
    assert policy.tickets == timedelta(days=730)
    assert policy.ratings == timedelta(days=730)
    assert policy.audit == timedelta(days=2190)
    assert policy.purge_interval == timedelta(hours=1)
    assert policy.batch_size == 200


def test_absent_section_gives_finite_defaults_and_null_keeps_forever():
    assert config_from_mapping({}).retention == RetentionPolicy()
    assert all(RetentionPolicy().period(k) is not None for k in ("transcripts", "audit"))
    policy = config_from_mapping({"retention": {"tickets_days": None, "ratings_days": 1.5}})
    assert policy.retention.tickets is None
    assert policy.retention.ratings == timedelta(days=1.5)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("nope", "retention must be a mapping"),
        ({"transcript_days": 3}, "unknown retention key"),
        ({"tickets_days": 0}, "retention.tickets_days"),
        ({"audit_days": -1}, "retention.audit_days"),
        ({"ratings_days": "30"}, "retention.ratings_days"),
        ({"ratings_days": True}, "retention.ratings_days"),
        ({"batch_size": 0}, "retention.batch_size"),
        ({"batch_size": 2.5}, "retention.batch_size"),
        ({"purge_interval_seconds": 0}, "retention.purge_interval_seconds"),
    ],
)
def test_bad_values_are_refused_with_the_key(section, message, tmp_path: Path):
    config = tmp_path / "hub.yml"
    config.write_text(f"retention: {section!r}\n".replace("'", '"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_policy(config)
