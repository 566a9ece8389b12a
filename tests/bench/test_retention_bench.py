"""The purge benchmark runs end to end on a tiny data set (hub environment only)."""

from __future__ import annotations

import argparse

import pytest

pytest.importorskip("argon2")  # the hub's services: hub environment only

from bench.retention import run


def test_the_benchmark_purges_everything_it_made_and_times_writes(tmp_path):
    args = argparse.Namespace(
        conversations=30, messages=2, batch=7, database_url=None, out=str(tmp_path)
    )
    results = run(args)
    assert results["purge"]["deleted"]["conversations"] == 30
    assert results["purge"]["deleted"]["messages"] == 60
    assert results["purge"]["deleted"]["tracker_events"] == 90
    assert results["purge"]["batches"] >= 30 // 7
    assert results["writes_during_purge"]["samples"] >= 1
    assert results["writes_without_purge"]["samples"] == 500
