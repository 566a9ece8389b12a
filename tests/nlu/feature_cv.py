"""Cross-validated intent accuracy of feature blocks per language (issue 19 measurement).

An approximation of the pipeline's intent features, measured quickly outside Rasa: word
counts (lemmas of the language's spaCy pipeline) and character n-grams (char_wb 1-4), both as
TF-IDF, and WordLlama's static sentence embedding (``bot.sentence_featurizer``), each block
L2-normalised and weighted as in config.yml (sparse 0.5, dense 1.0), into a balanced logistic
regression (C=100). 5-fold stratified CV, seed 42::

    PYTHONPATH=. .venv/bin/python -m tests.nlu.feature_cv data/nlu/es es
    PYTHONPATH=. .venv/bin/python -m tests.nlu.feature_cv data/nlu en
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse
import spacy
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

from bot.sentence_featurizer import StaticEmbeddings, StaticSentenceFeaturizer, package_file
from bot.spacy_pipeline import default_out

VARIANTS = {
    "words + char n-grams + embedding (config.yml)": ("words", "chars", "embedding"),
    "words + char n-grams (no embedding)": ("words", "chars"),
    "words + embedding (no char n-grams)": ("words", "embedding"),
    "embedding only": ("embedding",),
    "char n-grams only": ("chars",),
}


def examples(path: str) -> tuple[list[str], list[str]]:
    """Texts and intents of the YAML files directly in ``path`` (not its subfolders)."""
    files = [path] if Path(path).is_file() else sorted(str(p) for p in Path(path).glob("*.yml"))
    texts, intents = [], []
    for file in files:
        for example in load_data(file).intent_examples:
            if example.get("text"):
                texts.append(example.get("text"))
                intents.append(example.get("intent"))
    return texts, intents


def main(path: str, language: str) -> None:
    """Print each variant's mean accuracy over the folds."""
    texts, intents = examples(path)
    labels = np.array(intents)
    nlp = spacy.load(default_out(language))
    lemmas = [" ".join(t.lemma_ for t in doc) for doc in nlp.pipe([t.lower() for t in texts])]
    config = StaticSentenceFeaturizer.get_default_config()
    embeddings = StaticEmbeddings.from_files(
        package_file(config["package"], config["weights"]),
        package_file(config["package"], config["tokenizer"]),
        config["tensor"],
        True,
    )
    dense = np.vstack([embeddings.sentence(t.lower()) for t in texts])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    print(f"{path} ({language}): {len(texts)} examples, {len(set(intents))} intents")
    for name, blocks in VARIANTS.items():
        scores = []
        for train, test in folds.split(texts, labels):
            parts_train, parts_test = [], []
            if "words" in blocks:
                words = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b")
                parts_train.append(0.5 * normalize(words.fit_transform([lemmas[i] for i in train])))
                parts_test.append(0.5 * normalize(words.transform([lemmas[i] for i in test])))
            if "chars" in blocks:
                chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4))
                low = [t.lower() for t in texts]
                parts_train.append(0.5 * normalize(chars.fit_transform([low[i] for i in train])))
                parts_test.append(0.5 * normalize(chars.transform([low[i] for i in test])))
            if "embedding" in blocks:
                parts_train.append(scipy.sparse.csr_matrix(normalize(dense[train])))
                parts_test.append(scipy.sparse.csr_matrix(normalize(dense[test])))
            model = LogisticRegression(C=100.0, class_weight="balanced", max_iter=2000)
            model.fit(scipy.sparse.hstack(parts_train).tocsr(), labels[train])
            predicted = model.predict(scipy.sparse.hstack(parts_test).tocsr())
            scores.append(float(np.mean(predicted == labels[test])))
        print(f"  {name}: {np.mean(scores):.3f} (folds {', '.join(f'{s:.3f}' for s in scores)})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
