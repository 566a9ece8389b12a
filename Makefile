# One entry point for developers: `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BOT_PY := .venv/bin/python
HUB_PY := .venv-hub/bin/python

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: run
run: ## Set up (if needed) and run everything: actions, Rasa, hub; Ctrl-C stops it all
	@bash scripts/run.sh

.PHONY: cluster
cluster: ## Run the system as a cluster: PostgreSQL, Redis, 2 Rasa, 2 hubs behind HAProxy (:8090); Ctrl-C stops it
	@bash scripts/cluster.sh

.PHONY: test
test: ## Set up (if needed) and run every check: lint, types, data validation, unit, story, handoff, hub and browser tests
	@bash scripts/test.sh

.PHONY: setup
setup: ## Create both environments from uv.lock, build the spaCy pipeline, seed the demo database
	@bash scripts/setup.sh

.PHONY: spacy
spacy: ## Build the project's spaCy pipeline into build/spacy/
	@bash scripts/setup.sh --spacy-only

.PHONY: migrate
migrate: ## Migrate the database (DATABASE_URL or var/payassist.db) to the code's schema; adopts a pre-migration one
	$(BOT_PY) -m migrations upgrade

.PHONY: migration
migration: ## Write the next schema migration from the models: make migration MSG="add agent nickname" (docs/data-schema.md)
	$(BOT_PY) -m migrations revision -m "$(MSG)"

.PHONY: seed
seed: ## Seed the demo data set (idempotent; migrates first)
	$(BOT_PY) -m store.seed

.PHONY: import
import: ## Import a company's data: make import FILE=data.json [ARGS=--dry-run|--replace] (JSON, CSV or a CSV folder; docs/data-schema.md)
	$(BOT_PY) -m store.importer $(FILE) $(ARGS)

.PHONY: purge
purge: ## Delete what is past its retention period (hub.yml retention:) in the hub's store and Rasa's tracker store: make purge [ARGS=--dry-run]
	$(HUB_PY) -m hub.retention purge $(ARGS)

.PHONY: privacy
privacy: ## A customer's rights and the audit log (supervisors): make privacy ARGS="--as sam export --customer cus_alice" (docs/data-protection.md)
	$(HUB_PY) -m hub.privacy $(ARGS)

.PHONY: train
train: ## Train the bot (skipped when data and config are unchanged)
	@bash scripts/train.sh

.PHONY: validate
validate: ## Validate the training data and domain (rasa data validate)
	@bash scripts/validate.sh

.PHONY: lint
lint: ## ruff and mypy over both environments
	@bash scripts/lint.sh

.PHONY: test-unit
test-unit: ## pytest: bot environment (store, actions, components, policy) and hub environment
	@bash scripts/test_unit.sh

.PHONY: test-stories
test-stories: ## rasa test conversation tests (tests/stories/*.yml); fails on any failed story
	@bash scripts/test_stories.sh

.PHONY: eval-handoff
eval-handoff: ## Evaluate handoff decisions of the trained bot over the labelled corpus
	@bash scripts/eval_handoff.sh

.PHONY: eval-tasks
eval-tasks: ## Task success through the real hub + Rasa (dev split, gate 95 %; SPLIT=blind: blind split)
	@bash scripts/eval_tasks.sh

.PHONY: test-browser
test-browser: ## Browser tests (Playwright + Debian chromium) against the real services
	@bash scripts/test_browser.sh

.PHONY: bench
bench: ## Benchmarks against stock Rasa (results in docs/benchmarks.md)
	@bash scripts/bench.sh

.PHONY: clean
clean: ## Remove build output, trained models and local data (keeps the environments)
	rm -rf build models results var/*.db
