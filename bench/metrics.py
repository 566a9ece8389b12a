"""Intent classification scores: accuracy and macro-F1, without scikit-learn.

Pure Python so the bench's own tests can check them exactly on hand-made cases.
"""

from __future__ import annotations

from collections.abc import Sequence


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of predictions equal to the gold label.

    Raises:
        ValueError: Different lengths or no items.
    """
    _check(gold, predicted)
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """F1 averaged over the gold labels, each label weighing the same.

    Labels that are only ever predicted (such as ``nlu_fallback``) are not averaged over:
    they have no gold examples, but their predictions still cost the true label its recall.

    Raises:
        ValueError: Different lengths or no items.
    """
    _check(gold, predicted)
    scores = []
    for label in sorted(set(gold)):
        true_pos = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        pred_pos = sum(p == label for p in predicted)
        gold_pos = sum(g == label for g in gold)
        precision = true_pos / pred_pos if pred_pos else 0.0
        recall = true_pos / gold_pos
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def _check(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("nothing to score")
