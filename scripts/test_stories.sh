#!/usr/bin/env bash
# Conversation tests: every story in tests/stories must pass (rasa test exits non-zero otherwise).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
out="${ROOT}/results"
rm -rf "${out}"
# Through bot.server: the conversation tests run on the same runtime as `make run` serves.
"${BOT_PY}" -m bot.server test core --model models --stories tests/stories --out "${out}" \
  --fail-on-prediction-errors

# Intent quality on messages the model never trained on (tests/nlu/heldout.yml, written before
# the model that first scored it): prints accuracy / macro-F1, fails below the floor.
"${BOT_PY}" -m bot.server test nlu --model models --nlu tests/nlu/heldout.yml --out "${out}/nlu" >/dev/null
"${BOT_PY}" - "${out}/nlu/intent_report.json" "${NLU_ACCURACY_FLOOR:-0.85}" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
accuracy, macro = report["accuracy"], report["macro avg"]["f1-score"]
print(f"held-out intents: accuracy {accuracy:.3f}, macro-F1 {macro:.3f} ({int(report['macro avg']['support'])} messages)")
sys.exit(0 if accuracy >= float(sys.argv[2]) else 1)
PY
