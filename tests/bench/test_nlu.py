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


SOURCE = {"dataset": "BANKING77", "per_intent": 10, "seed": 42, "train_examples": 770}
STOCK_ROW = {"pipeline": nlu.STOCK, "accuracy": 0.5376, "train_seconds": 429.8}


def _write_report(out: Path, data: dict, rows: list, measured_at: str = "2026-11-23T08:35") -> None:
    report = {"data": data, "machine": {"measured_at": measured_at}, "results": rows}
    (out / "nlu-latest.json").write_text(json.dumps(report), encoding="utf-8")


def test_stock_row_is_reused_only_for_the_same_data(tmp_path):
    _write_report(tmp_path, SOURCE, [{"pipeline": "project", "accuracy": 0.8}, STOCK_ROW])
    row = nlu.reusable_stock_row(tmp_path, SOURCE)
    assert row == {**STOCK_ROW, "reused_from": "2026-11-23T08:35"}
    assert nlu.reusable_stock_row(tmp_path, {**SOURCE, "seed": 1}) is None


def test_a_reused_row_keeps_its_original_measurement_time(tmp_path):
    _write_report(tmp_path, SOURCE, [{**STOCK_ROW, "reused_from": "2026-11-20T10:00"}], "later")
    assert nlu.reusable_stock_row(tmp_path, SOURCE)["reused_from"] == "2026-11-20T10:00"


@pytest.mark.parametrize(
    "content",
    [None, "{not json", json.dumps({"data": SOURCE, "results": [{**STOCK_ROW, "error": "x"}]})],
)
def test_nothing_is_reused_without_a_good_stock_row(tmp_path, content):
    if content is not None:
        (tmp_path / "nlu-latest.json").write_text(content, encoding="utf-8")
    assert nlu.reusable_stock_row(tmp_path, SOURCE) is None
