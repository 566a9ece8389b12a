"""The evaluation's corpus loading and scoring (no Rasa needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.handoff_eval.corpus import (
    CATEGORIES,
    Case,
    Outcome,
    format_report,
    load_cases,
    load_split,
    parse_splits,
    score,
)


def case(category: str, turns: int = 1, at: int | None = None, by: int | None = None) -> Case:
    return Case("c", "dev", category, tuple(f"t{i}" for i in range(turns)), at, by)


@pytest.mark.parametrize(
    ("the_case", "handoff_turn", "correct"),
    [
        (case("explicit", 3, at=3), 3, True),
        (case("explicit", 3, at=3), 2, False),  # too early is a false handoff
        (case("explicit", 3, at=3), None, False),
        (case("frustrated", 4, by=4), 2, True),
        (case("frustrated", 4, by=4), None, False),
        (case("calm", 3), None, True),
        (case("calm", 3), 1, False),
    ],
)
def test_outcome_correctness(the_case: Case, handoff_turn: int | None, correct: bool) -> None:
    assert Outcome(the_case, handoff_turn).correct is correct


def test_score_rates_and_targets() -> None:
    outcomes = [Outcome(case("calm"), None)] * 49 + [Outcome(case("calm"), 1)]
    outcomes += [Outcome(case("explicit", at=1), 1)] * 9 + [Outcome(case("explicit", at=1), None)]
    scores = score(outcomes)
    assert scores["calm"].rate == pytest.approx(0.02)
    assert scores["calm"].meets_target
    assert scores["explicit"].rate == pytest.approx(0.9)
    assert not scores["explicit"].meets_target
    report = format_report(outcomes, "t")
    assert "| explicit | 10 | 9 | recall 90.0% |" in report
    assert "Confusion list (2 wrong)" in report


def test_the_corpus_meets_the_size_the_issue_asks_for() -> None:
    cases = load_cases("all")
    singles = [c for c in cases if len(c.turns) == 1 and "-msg-" in c.case_id]
    conversations = [c for c in cases if "-msg-" not in c.case_id]
    assert len(singles) >= 150
    assert len(conversations) >= 40
    assert {c.category for c in cases} == set(CATEGORIES)
    assert len({c.case_id for c in cases}) == len(cases)


def test_the_blind_heldout2_part_meets_its_own_minimum() -> None:
    cases = load_cases("heldout2")
    singles = [c for c in cases if "-msg-" in c.case_id]
    assert len(singles) >= 40
    assert len(cases) - len(singles) >= 10
    assert {c.category for c in cases} == set(CATEGORIES)


ALL_SPLITS = (
    *("dev", "heldout", "heldout2", "families", "es"),
    *("blind3", "blind4", "blind5", "blind6", "blind7", "blind8", "blind9", "blind10"),
    *("blind11", "blind12", "blind13", "blind14", "blind15", "blind16"),
)


@pytest.mark.parametrize(
    ("spec", "splits"),
    [
        ("all", ALL_SPLITS),
        ("es,dev", ("dev", "es")),
        ("heldout2", ("heldout2",)),
        ("heldout, dev", ("dev", "heldout")),
    ],
)
def test_parse_splits(spec: str, splits: tuple[str, ...]) -> None:
    assert parse_splits(spec) == splits


@pytest.mark.parametrize("spec", ["", "dev,nope", "everything"])
def test_unknown_splits_are_rejected(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        parse_splits(spec)


@pytest.mark.parametrize(
    "body",
    [
        "messages: [{category: angry, text: hi}]",
        "messages: [{category: frustrated, text: hi}]",
        "conversations: [{id: x, category: calm, turns: [a], handoff_by: 1}]",
        "conversations: [{id: x, category: explicit, turns: [a]}]",
        "conversations: [{id: x, category: explicit, turns: [a], handoff_at: 2}]",
    ],
)
def test_bad_labels_are_rejected(tmp_path: Path, body: str) -> None:
    (tmp_path / "corpus_dev.yml").write_text(body, encoding="utf-8")
    with pytest.raises(ValueError):  # noqa: PT011
        load_split("dev", tmp_path)
