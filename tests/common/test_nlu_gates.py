"""The held-out gate (tests/nlu/heldout_gate.py) and the language-set scorer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.nlu import heldout_gate, score_language
from tests.nlu.heldout_gate import HeldOut, failures

DEV_SET = Path(__file__).with_name("language_dev.yml")


def _report(tmp_path: Path, name: str, accuracy: float) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(
        json.dumps({"accuracy": accuracy, "macro avg": {"f1-score": 0.9, "support": 100}}),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("english", "spanish", "failed"),
    [
        (0.947, 0.947, []),
        (0.947, 0.917, []),  # exactly 3 points below passes
        (0.947, 0.960, []),
        (0.947, 0.916, ["more than"]),
        (0.840, 0.900, ["English accuracy"]),
        (0.900, 0.840, ["Spanish accuracy", "more than"]),
    ],
)
def test_gate_checks(english: float, spanish: float, failed: list[str]) -> None:
    found = failures(
        HeldOut(english, 0.9, 100),
        HeldOut(spanish, 0.9, 100),
        en_floor=0.85,
        es_floor=0.85,
        tolerance=0.03,
    )
    assert len(found) == len(failed)
    for problem, expected in zip(found, failed, strict=True):
        assert expected in problem


def test_gate_prints_both_and_sets_the_exit_code(tmp_path: Path, capsys) -> None:
    en, es = _report(tmp_path, "en", 0.947), _report(tmp_path, "es", 0.93)
    assert heldout_gate.main([str(en), str(es)]) == 0
    out = capsys.readouterr().out
    assert "(English): accuracy 0.947" in out
    assert "(Spanish): accuracy 0.930" in out
    bad = _report(tmp_path, "bad", 0.90)
    assert heldout_gate.main([str(en), str(bad)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_scorer_on_the_dev_set(capsys) -> None:
    result = score_language.score(score_language.load(DEV_SET))
    assert result.total == len(score_language.load(DEV_SET))
    assert result.short_total > 0
    assert result.accuracy == 1.0  # the set it was tuned on
    assert score_language.main([str(DEV_SET)]) == 0
    assert "on texts of 1-4 tokens" in capsys.readouterr().out


def test_scorer_counts_misses_and_fails_below_the_floor(tmp_path: Path, capsys) -> None:
    path = tmp_path / "set.yml"
    path.write_text(
        "- {text: ok, previous_language: es, page_language: null, expected: es}\n"
        "- {text: ok, previous_language: es, page_language: null, expected: en}\n",
        encoding="utf-8",
    )
    result = score_language.score(score_language.load(path))
    assert (result.correct, result.total, result.short_total) == (1, 2, 2)
    assert result.misses[0]["got"] == "es"
    assert score_language.main([str(path), "--floor", "0.6"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_scorer_rejects_incomplete_examples(tmp_path: Path) -> None:
    path = tmp_path / "set.yml"
    path.write_text("- {text: ok, expected: es}\n", encoding="utf-8")
    with pytest.raises(score_language.LanguageSetError):
        score_language.load(path)
