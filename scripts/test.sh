#!/usr/bin/env bash
# `make test`: sets up what is missing, then runs every check and fails on the first failure:
# lint + types, rasa data validate, unit/component tests (both environments), training,
# conversation tests (rasa test), handoff evaluation, task-success evaluation, real-server hub
# tests, browser tests.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
start_all=$(date +%s)
step() { echo; echo "======== $* ========"; }

step "system packages"
bash "${ROOT}/scripts/system_deps.sh"
step "setup"
bash "${ROOT}/scripts/setup.sh"
step "lint and types"
bash "${ROOT}/scripts/lint.sh"
step "rasa data validate"
bash "${ROOT}/scripts/validate.sh"
step "unit and component tests"
bash "${ROOT}/scripts/test_unit.sh"
step "train"
bash "${ROOT}/scripts/train.sh"
step "conversation tests (rasa test)"
bash "${ROOT}/scripts/test_stories.sh"
step "handoff evaluation"
bash "${ROOT}/scripts/eval_handoff.sh"
step "task-success evaluation (dev split, gate 95 %)"
bash "${ROOT}/scripts/eval_tasks.sh"
step "real-server tests (hub + Rasa + actions)"
bash "${ROOT}/scripts/test_slow.sh"
step "browser tests"
bash "${ROOT}/scripts/test_browser.sh"
echo
echo "all checks passed in $(( $(date +%s) - start_all )) s"
