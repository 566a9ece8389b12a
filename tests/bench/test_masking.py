"""The masking benchmark (bench/masking.py): its corpus and its results file."""

from __future__ import annotations

import json

from bench.masking import main, masking_messages, project_messages


def test_the_bench_corpus_is_the_projects_messages_plus_the_masking_corpus():
    project = project_messages()
    assert len(project) > 1000
    assert "I want to speak to a person" in project
    assert all("](" not in text for text in project)  # entity annotations stripped
    assert any("4111 1111 1111 1111" in text for text in masking_messages())


def test_main_writes_median_and_p99_per_message(tmp_path):
    assert main(["--repeat", "1", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "masking-latest.json").read_text(encoding="utf-8"))
    assert results["masked_in_project_corpora"] == 0
    for part in ("all", "project_corpora", "masking_corpus"):
        assert results[part]["median_us"] <= results[part]["p99_us"]
    assert results["all"]["messages"] == (
        results["project_corpora"]["messages"] + results["masking_corpus"]["messages"]
    )
