#!/usr/bin/env bash
# Trains the bot into models/; Rasa itself skips training when data, domain and config are
# unchanged since the newest model there ("Nothing changed").
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
[ -x "${BOT_PY}" ] || bash "${ROOT}/scripts/setup.sh"
"${BOT_PY}" -m bot.spacy_pipeline --out "${ROOT}/build/spacy/en_payments"
export PYTHONPATH="${ROOT}"
start=$(date +%s)
"${ROOT}/.venv/bin/rasa" train --config config.yml --domain domain.yml --data data --out models "$@"
echo "==> training step took $(( $(date +%s) - start )) s"
