"""Shared fixtures for the NLU component tests: the project's spaCy pipeline as Rasa loads it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.spacy_pipeline import ensure_pipeline

REPO = Path(__file__).resolve().parents[2]


@dataclass
class SpacyGraph:
    """``SpacyNLP`` + ``SpacyTokenizer`` created as Rasa's graph does, for component tests."""

    storage: LocalModelStorage
    context: ExecutionContext
    spacy_nlp: SpacyNLP
    tokenizer: SpacyTokenizer

    def create(self, component_class: Any, name: str) -> Any:
        """Create a component of the graph with its default config."""
        return component_class.create(
            component_class.get_default_config(), self.storage, Resource(name), self.context
        )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("spacy") / "en_payments"
    ensure_pipeline(out)
    return out


@pytest.fixture
def spacy_graph(model_dir, tmp_path) -> SpacyGraph:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    spacy_nlp = SpacyNLP.create(
        {**SpacyNLP.get_default_config(), "model": str(model_dir)},
        storage,
        Resource("spacy_nlp"),
        context,
    )
    tokenizer = SpacyTokenizer.create(
        SpacyTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    return SpacyGraph(storage, context, spacy_nlp, tokenizer)


@pytest.fixture(scope="session")
def project_trackers() -> tuple[Domain, list[DialogueStateTracker]]:
    """The project's domain and its rule and story trackers, as training generates them."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(REPO / "domain.yml"), training_data_paths=[str(REPO / "data")]
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0
    ).generate()
    return domain, trackers
