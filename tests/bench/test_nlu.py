import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from bench import nlu

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


def test_nlu_only_config_keeps_the_pipeline_exactly_and_drops_policies(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: en\npipeline:\n- name: WhitespaceTokenizer\n"
        "- name: DIETClassifier\n  epochs: 3\npolicies:\n- name: RulePolicy\n",
        encoding="utf-8",
    )
    assert nlu.nlu_only_config(config) == {
        "recipe": "default.v1",
        "language": "en",
        "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "DIETClassifier", "epochs": 3}],
    }


def test_stock_config_is_the_one_rasa_init_writes():
    assert nlu.stock_config_path().read_text(encoding="utf-8").startswith("# The config recipe.")


@pytest.mark.parametrize(
    ("parse", "expected"),
    [
        (
            {
                "intent": {"name": "nlu_fallback"},
                "intent_ranking": [{"name": "nlu_fallback"}, {"name": "greet"}],
            },
            "greet",
        ),
        ({"intent": {"name": "greet"}, "intent_ranking": []}, "greet"),
        ({"intent": {"name": "nlu_fallback"}, "intent_ranking": None}, None),
    ],
)
def test_top_real_intent_skips_the_fallback(parse, expected):
    assert nlu.top_real_intent(parse) == expected


@pytest.mark.slow
def test_smoke_run_trains_and_scores_a_three_intent_sample(tmp_path):
    config = tmp_path / "tiny.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: en\npipeline:\n- name: WhitespaceTokenizer\n"
        "- name: CountVectorsFeaturizer\n- name: DIETClassifier\n  epochs: 20\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = nlu.main(
        [
            "--train",
            str(DATA / "tiny_train.csv"),
            "--test",
            str(DATA / "tiny_test.csv"),
            "--config",
            str(config),
            "--no-stock",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads((out / "nlu-latest.json").read_text(encoding="utf-8"))
    (result,) = report["results"]
    assert result["pipeline"] == "project"
    assert result["test_messages"] == 6
    assert 0.0 <= result["accuracy"] <= 1.0
    assert result["train_seconds"] > 0
    assert result["parse_ms_median"] > 0
    assert report["data"]["intents"] == 3
    assert report["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
