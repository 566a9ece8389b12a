from collections import Counter
from pathlib import Path

import pytest

from bench.datasets import (
    DatasetError,
    Example,
    intent_names,
    load_csv,
    split_per_label,
    stratified_head,
    to_rasa_nlu_yaml,
)

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("column", ["label", "category", "intent"])
def test_load_csv_accepts_each_label_column(tmp_path, column):
    path = tmp_path / "d.csv"
    path.write_text(f"text,{column}\nhello  there,greet\n,greet\nbye,\n", encoding="utf-8")
    assert load_csv(path) == [Example("hello there", "greet")]


def test_load_csv_removes_entity_markup_brackets(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('text,label\n"my [card](x) is\nlost",lost_card\n', encoding="utf-8")
    assert load_csv(path) == [Example("my (card)(x) is lost", "lost_card")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("words,label\na,b\n", "no 'text'"),
        ("text,topic\na,b\n", "no label"),
        ("text,label\n", "no labelled"),
    ],
)
def test_load_csv_rejects_unusable_files(tmp_path, content, message):
    path = tmp_path / "d.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_csv(path)


def _rows() -> list[Example]:
    return [Example(f"{label} {i}", label) for label in ("a", "b", "c") for i in range(12)] + [
        Example("rare 1", "rare"),
        Example("rare 2", "rare"),
    ]


def test_split_per_label_samples_each_label_and_holds_out_the_rest():
    train, held_out = split_per_label(_rows(), per_label=10, seed=42)
    assert Counter(e.label for e in train) == {"a": 10, "b": 10, "c": 10, "rare": 2}
    assert Counter(e.label for e in held_out) == {"a": 2, "b": 2, "c": 2}
    assert not set(train) & set(held_out)


def test_split_per_label_is_reproducible_and_depends_on_the_seed():
    first, _ = split_per_label(_rows(), 5, seed=42)
    again, _ = split_per_label(_rows(), 5, seed=42)
    other, _ = split_per_label(_rows(), 5, seed=7)
    assert first == again
    assert first != other


def test_split_per_label_rejects_zero():
    with pytest.raises(ValueError, match="at least 1"):
        split_per_label(_rows(), 0, seed=1)


def test_stratified_head_keeps_every_label():
    picked = stratified_head(_rows(), limit=8, seed=1)
    assert len(picked) == 8
    assert {e.label for e in picked} == {"a", "b", "c", "rare"}
    assert stratified_head(_rows(), limit=1000, seed=1) == _rows()


def test_intent_names_are_rasa_safe_and_unique():
    names = intent_names(["reverted_card_payment?", "reverted card payment", "ok"])
    assert names["ok"] == "ok"
    assert set(names.values()) == {"reverted_card_payment", "reverted_card_payment_2", "ok"}


def test_rasa_yaml_round_trips_through_rasas_reader():
    reader = pytest.importorskip("rasa.shared.nlu.training_data.formats.rasa_yaml")
    examples = load_csv(DATA / "tiny_train.csv")
    text = to_rasa_nlu_yaml(examples, intent_names(e.label for e in examples))
    data = reader.RasaYAMLReader().reads(text)
    assert Counter(m.get("intent") for m in data.intent_examples) == Counter(
        e.label for e in examples
    )
    assert {m.get("text") for m in data.intent_examples} == {e.text for e in examples}
