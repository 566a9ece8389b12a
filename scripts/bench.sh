#!/usr/bin/env bash
# `make bench`: every benchmark in one run, side by side on this machine, then docs/benchmarks.md.
#   bash scripts/bench.sh            all: speed and scale (stock Rasa, our Rasa, hub), then NLU
#   bash scripts/bench.sh speed [ARGS]   only bench.latency (ARGS go to it, e.g. --parts stock,hub)
#   bash scripts/bench.sh nlu [ARGS]     only bench.nlu on BANKING77 (ARGS go to it, e.g. --max-test 2000)
#                                        (--reuse-stock: keep stock Rasa's row from the last run on
#                                        the same sample instead of its 7-minute training; marked as reused)
#   bash scripts/bench.sh masking        only bench.masking (µs per message to mask card numbers)
#   bash scripts/bench.sh retention      only bench.retention (purge speed, hub writes waiting on it)
#   bash scripts/bench.sh surge [ARGS]   only bench.surge: 500 customers write 3 messages at once
#                                        (serves the newest models/*.tar.gz, else trains one;
#                                        --label baseline keeps a run as the page's "before" row)
#   bash scripts/bench.sh resolution     only bench.resolution (µs per message to find the order named)
#   bash scripts/bench.sh cluster [ARGS] only the scale-out part: Rasa's tracker store per turn
#                                        (bench.cluster_tracker) and 1 vs 2 hubs / Rasa servers
#                                        behind HAProxy (bench.cluster_scale; ARGS go to it)
#   bash scripts/bench.sh report         only regenerate docs/benchmarks.md from bench/results/
# Run it on a quiet machine: every figure is only comparable within one run.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
[ -x "${BOT_PY}" ] && [ -x "${HUB_PY}" ] || bash "${ROOT}/scripts/setup.sh"
export PYTHONPATH="${ROOT}${PYTHONPATH:+:${PYTHONPATH}}"
BANKING77="${BANKING77:-${ROOT}/../shared/datasets/banking77/train.csv}"
# 5,000 idle sockets need as many file descriptors in the hub and in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "warning: open-file limit $(ulimit -n) is below the 12000 the 5,000-connection test needs" >&2
fi

speed() { "${HUB_PY}" -m bench.latency "$@"; }
nlu() {
  if [ ! -f "${BANKING77}" ]; then
    echo "BANKING77 not found at ${BANKING77} (set BANKING77=path/to/train.csv); NLU not measured" >&2
    return 0
  fi
  "${BOT_PY}" -m bench.nlu --banking77 "${BANKING77}" --per-intent 10 --seed 42 \
    --config config.yml --out bench/results "$@"
}
masking() { "${HUB_PY}" -m bench.masking "$@"; }
retention() { "${HUB_PY}" -m bench.retention "$@"; }
surge() {
  local model
  model="$(ls -t "${ROOT}"/models/*.tar.gz 2>/dev/null | head -n 1 || true)"
  "${HUB_PY}" -m bench.surge ${model:+--project-model "${model}"} "$@"
}
resolution() { "${BOT_PY}" -m bench.resolution "$@"; }
cluster() {
  bash "${ROOT}/scripts/system_deps.sh"
  "${BOT_PY}" -m bench.cluster_tracker --out bench/results
  "${HUB_PY}" -m bench.cluster_scale --out bench/results "$@"
}
report() { "${HUB_PY}" -m bench.report; }

case "${1:-all}" in
  speed) shift; speed "$@"; report ;;
  nlu) shift; nlu "$@"; report ;;
  masking) shift; masking "$@" ;;
  retention) shift; retention "$@" ;;
  surge) shift; surge "$@"; report ;;
  resolution) shift; resolution "$@" ;;
  cluster) shift; cluster "$@"; report ;;
  report) report ;;
  all) speed; nlu; masking; retention; resolution; surge; cluster; report ;;
  *) echo "usage: bash scripts/bench.sh [all|speed|nlu|masking|retention|resolution|surge|cluster|report] [ARGS...]" >&2; exit 2 ;;
esac
