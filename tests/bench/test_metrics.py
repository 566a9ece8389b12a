import pytest

from bench.metrics import accuracy, macro_f1


def test_accuracy():
    assert accuracy(["a", "b", "c", "a"], ["a", "b", "a", "nlu_fallback"]) == 0.5


def test_macro_f1_weighs_labels_equally_and_ignores_predicted_only_labels():
    gold = ["a", "a", "a", "b"]
    predicted = ["a", "a", "nlu_fallback", "a"]
    # a: precision 2/3, recall 2/3 -> 2/3; b: 0 -> mean 1/3
    assert macro_f1(gold, predicted) == pytest.approx(1 / 3)


def test_perfect_scores():
    assert macro_f1(["x", "y"], ["x", "y"]) == 1.0
    assert accuracy(["x", "y"], ["x", "y"]) == 1.0


@pytest.mark.parametrize("scorer", [accuracy, macro_f1])
@pytest.mark.parametrize(("gold", "predicted"), [([], []), (["a"], ["a", "b"])])
def test_scores_reject_mismatched_or_empty_input(scorer, gold, predicted):
    with pytest.raises(ValueError, match=r"nothing to score|gold labels but"):
        scorer(gold, predicted)
