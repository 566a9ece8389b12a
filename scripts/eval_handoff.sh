#!/usr/bin/env bash
# The hub's guard on its own (Rasa down) over the labelled corpus: fails when its recall drops
# below 95% or it hands off on more than 2% of calm messages. Then plays the corpus through the
# trained bot (with a real action server) and the hub's guard, and prints recall / false-handoff
# rate per category and family; fails if explicit-request recall in English and Spanish is below
# 100%, or if the Spanish split (corpus_es.yml) misses any of its targets: explicit 100%, topic
# 100%, frustrated >= 95%, calm false handoffs <= 2% (pass --strict to also fail on the
# frustrated / calm / topic targets of the other splits).
#
# CI gates the splits the team works on (dev, the held-out sets seen since their play, issue 15's
# families, the Spanish split). A blind split (blind3 to blind16) is played once, when it is
# written, and its result is kept beside it (results_blind*.txt, docs/handoff.md): replaying it
# on every run would turn it into one more dev set. SPLIT=all (or a list) plays any of them.
GATED_SPLITS="dev,heldout,heldout2,families,es"
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
"${HUB_PY}" -m tests.handoff_eval.guard_eval --split "${SPLIT:-${GATED_SPLITS}}" \
  --min-recall 0.95 --max-false-rate 0.02
"${BOT_PY}" -m tests.handoff_eval.run_eval --model models --split "${SPLIT:-${GATED_SPLITS}}" "$@"
