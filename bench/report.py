"""Tables for the terminal and ``docs/benchmarks.md``, built from the results JSON files.

``python -m bench.report`` (either environment) regenerates the page from the latest result
of every part (``bench/results/*-latest.json``, committed with the page, so regenerating after
one part's run keeps every other part's last figures) and the hand-written sections in
``bench/sections/`` (measurements made outside these scripts, each with its date and command);
a part with no result file shows as "not measured".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.cluster_report import render_section
from bench.report_surge import surge_section, surge_table
from bench.stats import ratio

__all__ = ["surge_table"]

REPO = Path(__file__).resolve().parents[1]
NOT_MEASURED = "not measured"
SECTIONS = Path(__file__).resolve().parent / "sections"
# Hand-written sections placed after the generated NLU section (file name in bench/sections/).
NLU_SECTIONS = ("spanish_nlu.md",)
DESIGN_NOTES_LINK = (
    "Why the hub and the bot runtime are built as they are, with the measurements behind each"
    " choice: docs/design-notes.md (written by hand)."
)
ENCODER_NOTE = """### Pretrained sentence encoder and intent classifier

Only a package that ships its weights (nothing downloads at run time) from the model's own
maker qualifies. Checked: `model2vec` (MinishLab) ships code only, its potion weights live on
the Hugging Face hub; spaCy's vector models (Explosion) are not on PyPI; the PyPI packages
bundling other people's static models are third-party re-uploads. `wordllama` (Lee Miller,
MIT, the maker of the WordLlama models) ships `weights/l2_supercat_256.safetensors` (16 MB)
and its tokenizer inside the wheel; `bot/sentence_featurizer.py` reads those two files with
`safetensors` and `tokenizers` (pinned in the `bot` group) and never imports `wordllama`,
whose declared pydantic 2 requirement is overridden in `pyproject.toml` (`[tool.uv]
override-dependencies`) to keep Rasa's pydantic 1. Its vectors are trained from token
embeddings of Llama 2 70B and Phi-3 medium, so the Llama 2 Community License's attribution
terms should be checked before shipping it.

The project pipeline classifies intents with `bot/intent_classifier.py`
(`LinearIntentClassifier`): the sentence features of every featurizer, sparse ones as
sub-linear TF-IDF, each block L2-normalised and weighted (embedding 1.0, n-grams 0.5), into a
seeded multinomial logistic regression (`C` 100) whose softmax temperature is fitted on
5-fold out-of-fold predictions; parsing is a numpy product. The block weights and `C` were
chosen by 5-fold cross-validation inside the 770 training examples of the 10-shot sample.
Each intent's score also gets WordLlama similarity terms (with ten spread-out examples, a
paraphrase right next to one of them can still fall on the wrong side of the regression's
boundary): 5 times the cosine similarity between the message's embedding and the intent's
nearest training example, 1.5 times that to its second nearest, 2 times that to the
embedding of the intent's name ("card arrival" for `card_arrival`, embedded at training by
the featurizer's `intent_features`), and 3 times the word alignment with the intent's
best-aligned example (the mean over the message's words of the best cosine to one of the
example's words, from per-token vectors, `sequence_features: true`; word x example
similarities are precomputed at training, so only unseen words cost a comparison at parse
time). These weights were chosen on the 10-shot samples of seeds 1-4 (their held-out rows),
never on the seed-42 sample reported above: top-ranked accuracy on seeds 1/2/3/4 went from
81.7/79.4/79.8/79.3% (nearest example alone, weight 3) to 82.5/80.2/80.2/80.4%, every seed
better (second nearest +0.2, intent name +0.4, word alignment +0.2 points on average).
Tried on the same samples without a gain worth keeping (each at most +0.1 on top of these,
or worse): nearest class centroid, within-class whitening and LDA on the embedding,
removing the embedding's principal components, IDF- or SIF-weighted pooling (-1 to -4),
lowercasing, training the regression with the similarity terms as offsets, similarity
to every training example as features, k-means or random-hyperplane word clusters as
features, unseen words mapped to their nearest training word, word-dropout augmentation
(-0.5 to -1), a separate n-gram and embedding regression, multi-label regressions on the
intent names' words, nearest example on the n-gram features, `C` 30-300 and n-gram weight
0.35-0.7. Earlier, by cross-validation: word bigrams, character 2-5-grams, the intent name
as an extra example, max-pooling, SVMs, ridge."""


SPEED_NOTE = """### Why the bot is fast (what changed against stock Rasa)

- **No TensorFlow when answering.** Intents come from `bot.intent_classifier.LinearIntentClassifier`
  (numpy dot products on n-gram and WordLlama sentence features) instead of DIET, and the
  dialogue is decided by `HandoffPolicy`, `RulePolicy` and `AugmentedMemoizationPolicy`
  without TEDPolicy. Profiled in-process, TED's TensorFlow call cost 6-8 ms on every prediction
  (3-4 per message) and decided 6 of about 500 actions in the handoff corpus, two of them
  silent `action_listen`s; without it the 59 conversation tests and the handoff evaluation give
  the same results. A logistic-regression dialogue policy on Rasa's own state features
  (~0.3 ms per prediction) was also tried and changed nothing, so no ML policy is configured.
- **Rasa runs through `python -m bot.server`** (`rasa run` plus `bot/patches.py`): Rasa 3.6
  re-checks its constant action-response JSON schema against the draft 2020-12 meta-schema
  on every custom action and form validation (`jsonschema.validate`), about 50 ms of CPU each;
  the schema is now checked once and the same validation runs on every response. It also
  swaps Rasa's dask scheduler for `SequentialGraphRunner` at prediction time: dask rebuilt and
  re-ordered the task graph on every run (the NLU parse and each of the 3-4 predictions of a
  turn); the sequential runner computes the order once and calls the same graph nodes. In two
  consecutive full runs on a quiet machine, this alone took our Rasa from 95 to 175 msgs/s at
  20 concurrent senders (hub: 86 to 128).
- **Custom actions run inside the Rasa process** (`endpoints.yml`: `actions_module: actions`,
  `bot/inprocess_actions.py`): rasa-sdk's own executor answers the exact call Rasa would POST,
  with the webhook's error statuses (tests compare both paths against the same database).
  "When is my next payment due?" makes two action calls (form validation, the question);
  over HTTP each cost about 1.5 ms (a new aiohttp session and connection per call in Rasa 3.6,
  the webhook, two more process wake-ups), so that turn went from about 10 to 6.5 ms.
  `ACTION_SERVER=1 make run` (and `--action-server` here) keeps a separate action server.
- **A loaded `RulePolicy` remembers which rules match** (`bot/rule_cache.py`): stock Rasa
  walks every rule at every prediction (~370 rule checks per turn here); the answer depends only
  on the fixed rule table and the recent states, which repeat across conversations.
  0.57 -> 0.35 ms per prediction, 2-3 predictions per turn; same predictions (tested).
- **Less Rasa bookkeeping per turn** (all in `bot/`, each tested against stock's output):
  the policies of a prediction share one replay of the conversation into dialogue states
  (`state_cache.py`; stock replays every event for `RulePolicy` twice and for the memoization
  policy again, at every prediction); `CountVectorsFeaturizer` makes sentence rows only, counted
  with the fitted vocabulary instead of two scikit-learn `transform` calls per message
  (`count_features.py`); entities come from the tokenizer and the entity ruler alone instead of
  a second run of the whole spaCy pipeline (`entities.py`); the domain's emptiness is checked
  once, slots are copied by attribute dictionary (`slot_copy.py`), and debug-log arguments are
  no longer deep-copied while debug logging is off (`debug_copies.py`). In-process CPU time per
  message of the two bench questions (time.process_time, alternating A/B in one process): about
  5.9 -> 4.0 ms.
- **Three more on 2026-12-03**, after the durable tracker store and the language and order
  components had brought the in-process figure back to 5.5 ms: the slot copy above had never
  run (every Rasa slot class inherits `abc.ABC`'s empty `__slots__`, which the patch counted as
  a copy hook, so all ~120 slot copies of a turn took the stock path; now a test checks every
  project slot takes the fast one), 5.5 -> 5.2 ms; the in-process actions' JSON round trip uses
  orjson (`inprocess_actions.py`), 5.2 -> 5.0 ms; and `current_state` copies the active loop's
  trigger message (the whole parse data) with a walk made for JSON-like data instead of
  `dataclasses.asdict` (`active_loop_state.py`), 5.0 -> 4.9 ms. Three runs of 600 messages
  each, in-process, structlog at INFO as the server runs.
- **Rasa's conversations are durable at a small cost per turn** (`bot/tracker_cache.py`):
  stock `SQLTrackerStore` (issue 18 made a SQL tracker store the default) re-ran the
  session-start subquery on every read, the same query plus a `count()` on every save, and an
  ORM object and flush per event; profiled per fresh conversation, save plus retrieve cost
  about 45 ms against 0.35 ms for the in-memory store. `CachedSQLTrackerStore` writes the same
  rows with one multi-row insert per save and, on every call, asks the database one indexed
  question (the conversation's row count and highest id) before reusing the rows it last read
  or wrote, so another server's turn or a purge is seen at once (about 5 ms profiled).
- **One BLAS thread per serving Rasa process** (`bot/server.py`, `RASA_BLAS_THREADS`, default
  1, set with threadpoolctl): every matrix Rasa multiplies per message is tiny (the language
  detector's, the intent classifier's), and numpy's OpenBLAS kept a second thread spinning
  against the hub for the two cores. Through the hub at 20 senders on a busy machine, four
  alternating runs: Rasa's CPU per message 13.9 and 16.1 ms with one thread against 22.8 and
  17.7 ms without, hub throughput 40 and 52 against 25 and 35 msgs/s; one language detection
  0.06 against 0.19 ms. **The hub too** (`connectors/__main__.py`, one thread, `common/blas.py`):
  its language detector is its only numpy user, and with OpenBLAS's default every detection
  woke a worker the busy cores could not run. Per message at 20 senders through the hub, three
  runs each (`/proc` CPU of the hub process): 6.1, 9.0 and 6.6 ms before, 3.4, 3.4 and 3.5 ms
  after; Rasa's own CPU unchanged (5.7-6.2 ms).
- **The hub keeps Rasa inside its comfortable load** (`HUB_RASA_CONCURRENCY`, default 8 at
  once, the rest wait in order) instead of letting a burst run into `HUB_RASA_TIMEOUT` and turn
  into `bot_failure` handoffs; its SQLite writes queue on a lock in the process instead of
  SQLite's sleeping busy handler, and reads do not take the write lock.
- **A bot turn's few store calls run on the hub's event loop** when the store is SQLite in the
  hub's process and no other hub process writes it (`BlockingCalls.short`): storing the
  customer's message, re-reading the state, storing the reply. Each is 0.1-0.3 ms of CPU, and
  the `asyncio.to_thread` hop around it (worker wake-up, GIL hand-offs, loop wake-up) cost more
  than the call; those statements are also built once, and a message is one Core `INSERT`
  instead of an ORM flush (0.6 -> 0.3 ms per stored message). PostgreSQL, or several hub
  processes on one SQLite file, keep the worker thread. With an instant fake Rasa the hub's own
  share of a bot turn went from about 4.9 to 2.8 ms.
- **Customer and bot messages are stored without the ORM** (`MessageService.record`: one
  Core transaction that reads only the conversation's state, then the insert), and a single
  hub process skips re-reading the state before routing when no conversation changed state
  since the message was stored (a transition counter bumped under the writer lock). Measured
  on the running hub: 5.6 -> 3.8 ms of hub CPU per bot turn including the session request.
- **The hub's turn path, stage by stage** (2026-12-05; a timeline of one sender's messages with
  `time.perf_counter_ns` marks in the client, the hub and Rasa, ad hoc and not in the repo):
  the hub's own stages are storing the customer's message (0.52-0.6 ms on the live path against
  0.30 ms in a warm loop: after Rasa's ~6 ms the hub runs on cold caches), the guard (0.17-0.22
  ms against 0.02-0.06 warm), building the request to Rasa (0.15 ms), storing the answer (0.47-
  0.54 ms) and emitting it (0.1 ms); the two extra socket legs cost ~0.6 ms (customer <-> hub)
  and ~0.8 ms (hub <-> Rasa's sanic). What was cut: the busy notice waits on a timer instead of
  a task per answer and the Rasa client uses aiohttp's own request timeout instead of
  `asyncio.wait_for` (two tasks and their loop rounds per turn); the turn sends the message to
  Rasa before the acknowledgement goes out; an answer is stored in two fewer statements (the
  turn and its conversation read in one locked select, the last-message pointer set once) and a
  first message stores its language in the same update as the pointer; python-socketio handles
  a socket's events on its reader (`async_handlers=False`) instead of a task per event; the hub
  serves on uvloop (as sanic serves Rasa); both Rasa (after the warm-up parse) and the hub (once
  built) `gc.freeze` what they loaded, so full collections stop walking the model and the
  guard's phrase index. Hub minus our Rasa at one sender went from 2.95 ms (2026-12-04 23:24,
  p50 ratio 2.67x) to 2.2 and 2.06 ms in the two runs after (2026-12-05 02:02 and 02:38, both
  on a quiet machine: 3.11x and 3.16x; throughput at 20 4.35x and 4.16x); relay throughput 524
  -> 589 msgs/s, hub CPU per relayed message 1.81 -> 1.64 ms (02:02 run).
- **One sender is measured interleaved**: on this 2-vCPU VM how fast a process answers depends
  on how long it idled before (our Rasa: 4.7 ms back to back, 5.7-7.2 ms after 2-20 ms pauses),
  and a turn through the hub wakes four processes (customer -> hub -> Rasa -> hub -> customer)
  against stock REST's two, so the hub's one-sender p50 moves most with the host. On 2026-11-23
  the previous bench, which ran stock first and the hub minutes later, gave the same commit
  3.20x at 12:17 UTC and 1.97x at 12:34 UTC. Stock, our Rasa and the hub now all run during
  the one-sender measurement, in rotated rounds, so a slow stretch hits them alike; with the
  changes above two consecutive runs gave 3.44x and 3.64x (hub 7.95 and 6.92 ms, stock 27.3
  and 25.2 ms).
- **On this VM a process's CPU slows the others even on the other core.** Direct REST calls to
  our Rasa, with the client spinning the CPU for 1 ms (or 3 ms) while Rasa answered: p50 5.8-6.3
  ms without the spin, 7.1-8.2 with 1 ms, 8.6-10.1 with 3 ms (three rounds of 100). A turn
  through the hub has the hub's and the customer's work for the acknowledgement running while
  Rasa answers, so Rasa's own answer takes longer there (about 8.5 ms seen from the hub against
  6 ms from a bare REST client on 2026-12-03), beyond the hub's own ~2 ms on the path.
- **The relay scenario is paced**: 100 conversations, each alternately agent and customer
  sending about once a second (open loop), which is what "100 concurrent conversations" means
  for latency; the closed loop with no think time measures only the hub's saturation
  throughput (its latency there is queueing by Little's law, so it is not reported as latency).
"""


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if abs(value) >= 10 else f"{value:,.2f}{unit}"
    return f"{value}{unit}"


def _level(part: dict[str, Any] | None, key: str, level: str) -> dict[str, Any] | None:
    if not part or not part.get("measured", True):
        return None
    levels = part.get(key) or {}
    found = levels.get(level)
    return found if isinstance(found, dict) else None


def latency_rows(report: dict[str, Any]) -> list[list[str]]:
    """Rows: target, concurrency, p50, p95, p99, msgs/s, errors."""
    rows = []
    stock = report.get("stock") or {}
    project = report.get("project") or {}
    hub = report.get("hub") or {}
    targets = (
        ("stock Rasa 3.6 (`rasa init`), REST", stock, "rest"),
        ("our Rasa server, REST", project, "rest"),
        ("our hub, customer socket", hub.get("hub_socket"), "levels"),
    )
    levels = sorted(
        {lvl for _, part, key in targets for lvl in ((part or {}).get(key) or {})}, key=int
    )
    for name, part, key in targets:
        if not part or part.get("measured") is False:
            reason = (part or {}).get("reason", "")
            rows.append([name, "-", NOT_MEASURED, "", "", "", reason])
            continue
        for level in levels:
            row = _level(part, key, level)
            if row is None:
                continue
            rows.append(
                [
                    name,
                    level,
                    _fmt(row["p50_ms"]),
                    _fmt(row["p95_ms"]),
                    _fmt(row["p99_ms"]),
                    _fmt(row["per_second"]),
                    str(row["errors"]),
                ]
            )
    return rows


def _get(row: dict[str, Any] | None, key: str) -> float | None:
    return float(row[key]) if row and row.get(key) is not None else None


def ratios(report: dict[str, Any]) -> dict[str, float | None]:
    """Targets of the issue: p50 at 1 sender and msgs/s at 20, hub against stock."""
    stock1 = _level(report.get("stock"), "rest", "1")
    stock20 = _level(report.get("stock"), "rest", "20")
    hub_socket = (report.get("hub") or {}).get("hub_socket")
    hub1 = _level(hub_socket, "levels", "1")
    hub20 = _level(hub_socket, "levels", "20")
    return {
        "p50_stock_over_hub": ratio(_get(stock1, "p50_ms"), _get(hub1, "p50_ms")),
        "throughput20_hub_over_stock": ratio(
            _get(hub20, "per_second"), _get(stock20, "per_second")
        ),
    }


def _relay_label(part: dict[str, Any] | None) -> str:
    conversations = (part or {}).get("conversations")
    interval = (part or {}).get("interval_seconds")
    if conversations is None or interval is None:
        return "agent <-> customer relay"
    return (
        f"agent <-> customer relay, paced ({conversations} conversations, "
        f"1 message per {_fmt(float(interval))} s each, open loop)"
    )


def scenario_rows(hub: dict[str, Any]) -> list[list[str]]:
    """Rows of the hub-only scenarios: handoff delay, paced relay, relay throughput.

    The closed-loop throughput run shows msgs/s only: with every conversation always waiting
    its latency is queueing (Little's law), so printing it as latency would mislead.
    """
    rows = []
    scenarios = (
        ("handoff", "handoff delay (message -> agent socket)", True),
        ("relay", _relay_label(hub.get("relay")), True),
        ("relay_throughput", "relay throughput of one hub process (closed loop, no pause)", False),
    )
    for key, label, latency in scenarios:
        part = hub.get(key)
        if not part or part.get("measured") is False:
            rows.append([label, NOT_MEASURED, "", "", "", "", "", (part or hub).get("reason", "")])
            continue
        rows.append(
            [
                label,
                _fmt(part["p50_ms"]) if latency else "-",
                _fmt(part["p95_ms"]) if latency else "-",
                _fmt(part["p99_ms"]) if latency else "-",
                _fmt(part["per_second"]),
                _fmt(part.get("hub_cpu_ms_per_message")),
                str(part["count"]),
                str(part["errors"]),
            ]
        )
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def latency_table(report: dict[str, Any]) -> str:
    """Markdown tables of the latency report (also readable in a terminal)."""
    parts = [
        _table(
            ["target", "concurrent", "p50 ms", "p95 ms", "p99 ms", "msgs/s", "errors"],
            latency_rows(report),
        )
    ]
    found = ratios(report)
    parts.append(
        f"p50 at 1 sender, stock / hub: {_fmt(found['p50_stock_over_hub'], 'x')}; "
        f"msgs/s at 20, hub / stock: {_fmt(found['throughput20_hub_over_stock'], 'x')}"
    )
    hub = report.get("hub") or {}
    parts.append(
        _table(
            [
                "scenario",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "msgs/s",
                "hub CPU ms/msg",
                "samples",
                "errors",
            ],
            scenario_rows(hub),
        )
    )
    lag = (hub.get("relay") or {}).get("load_generator_loop_lag")
    if lag:
        parts.append(
            "The load generator's own event-loop delay during the paced relay (part of every"
            f" relay latency above): p50 {_fmt(lag['p50_ms'])} ms, p99 {_fmt(lag['p99_ms'])} ms."
        )
    scale = hub.get("scale")
    if scale and scale.get("measured"):
        parts.append(
            f"Idle customer connections: {scale['alive_after_hold']} of {scale['requested']} "
            f"alive after {scale['held_seconds']:.0f} s; hub RSS "
            f"{_fmt(scale['hub_rss_mib_before'])} -> "
            f"{_fmt(scale['hub_rss_mib_with_connections'])} MiB "
            f"({_fmt(scale['rss_kib_per_connection'])} KiB per connection)."
        )
    else:
        parts.append(f"Idle customer connections: {NOT_MEASURED}.")
    stock = report.get("stock") or {}
    project = report.get("project") or {}
    parts.append(
        _table(
            ["bot", "training s", "server start incl. model load s"],
            [
                [
                    "stock Rasa (`rasa init`)",
                    _fmt(stock.get("train_seconds")),
                    _fmt(stock.get("startup_seconds")),
                ],
                [
                    "our bot (full: NLU + policies)",
                    _fmt(project.get("train_seconds")),
                    _fmt(project.get("startup_seconds")),
                ],
            ],
        )
    )
    return "\n\n".join(parts)


def nlu_table(report: dict[str, Any]) -> str:
    """Markdown table of the NLU report."""
    rows = []
    for row in report.get("results", []):
        if "error" in row:
            rows.append([row["pipeline"], "failed", "", "", "", "", ""])
            continue
        name = row["pipeline"]
        if row.get("reused_from"):
            name += f" (measured {row['reused_from']}, reused)"
        rows.append(
            [
                name,
                f"{row['accuracy']:.1%}",
                f"{row['macro_f1']:.3f}",
                f"{row['top_ranked_accuracy']:.1%}",
                _fmt(row["train_seconds"]),
                _fmt(row["model_load_seconds"]),
                _fmt(row["parse_ms_median"]),
            ]
        )
    return _table(
        [
            "pipeline",
            "accuracy",
            "macro-F1",
            "top-ranked acc.",
            "train s",
            "load s",
            "parse ms (median)",
        ],
        rows,
    )


def seed_spread_line(spread: dict[str, Any] | None) -> str | None:
    """One line on how the project's figure moves between 10-shot samples (``--other-seeds``)."""
    if not spread or not spread.get("rows"):
        return None
    rows = spread["rows"]
    each = ", ".join(
        f"seed {row['seed']}: {_fmt(row['top_ranked_accuracy'] * 100, '%')}" for row in rows
    )
    if "error" in spread:
        return f"Project pipeline on other samples (top-ranked): {each}; then {spread['error']}."
    return (
        f"Project pipeline on {len(rows)} different 10-shot samples (top-ranked accuracy): {each};"
        f" mean {_fmt(spread['top_ranked_mean'] * 100, '%')}"
        f" (sd {_fmt(spread['top_ranked_sd'] * 100)} points), mean accuracy counting the"
        f" fallback as wrong {_fmt(spread['accuracy_mean'] * 100, '%')}."
    )


def _sampling_lines(report: dict[str, Any]) -> list[str]:
    """How many messages were untimed and timed (older reports did not record it)."""
    warmup, minimum = report.get("warmup_messages"), report.get("min_messages_per_level")
    if warmup is None or minimum is None:
        return []
    lines = [
        f"Each target (stock, our Rasa, our hub) first gets {warmup} untimed messages (lazy"
        f" start-up work such as model warm-up is not a reply time); every concurrency level"
        f" then times at least {minimum} messages.",
    ]
    single = report.get("single_sender") or {}
    if single.get("mode") == "interleaved":
        lines.append(
            f"One sender was measured with {', '.join(single.get('targets') or [])} all running,"
            f" in {single.get('rounds')} interleaved rounds (a block of messages to each in"
            " turn, the order rotated every round), so a slow stretch of the host falls on"
            " every target alike."
        )
    return [" ".join(lines), ""]


def _machine(report: dict[str, Any]) -> str:
    machine = report.get("machine") or {}
    packages = ", ".join(f"{k} {v}" for k, v in (machine.get("packages") or {}).items())
    return (
        f"{machine.get('cores')} cores ({machine.get('cpu')}), {machine.get('memory_mib')} MiB, "
        f"load average {machine.get('load_average')}, Python {machine.get('python')}, "
        f"{packages}; measured {machine.get('measured_at')}"
    )


def render(
    nlu: dict[str, Any] | None,
    latency: dict[str, Any] | None,
    surge: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None),
    *,
    tracker: dict[str, Any] | None = None,
    cluster: dict[str, Any] | None = None,
) -> str:
    """The whole ``docs/benchmarks.md`` page; ``surge`` is (baseline, latest)."""
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bash scripts/bench.sh`) from `bench/results/*-latest.json`;"
        " do not edit by hand. Timings taken on a busy machine are not comparable: check the"
        " load average recorded with each part.",
        "",
        "## Speed and scale",
        "",
    ]
    if latency:
        out += [
            f"Command: `{latency.get('command')}`",
            "",
            f"Machine: {_machine(latency)}",
            "",
            f"Messages (each one a fresh conversation): {latency.get('messages')}",
            "",
            *_sampling_lines(latency),
            latency_table(latency),
            "",
            SPEED_NOTE,
        ]
    else:
        out.append(f"{NOT_MEASURED} (run `bash scripts/bench.sh speed`).")
    out += ["", "## NLU quality", ""]
    if nlu:
        out += [
            f"Command: `{nlu.get('command')}`",
            "",
            f"Machine: {_machine(nlu)}",
            "",
            f"Data: {json.dumps(nlu.get('data'))}",
            "",
            nlu_table(nlu),
            "",
            "Accuracy counts an `nlu_fallback` answer as wrong; top-ranked accuracy is the"
            " classifier's best real intent before the FallbackClassifier.",
        ]
        spread = seed_spread_line(nlu.get("seed_spread"))
        if spread:
            out += ["", spread]
    else:
        out.append(f"{NOT_MEASURED} (run `bash scripts/bench.sh nlu`).")
    for name in NLU_SECTIONS:
        out += ["", (SECTIONS / name).read_text(encoding="utf-8").rstrip("\n")]
    out += ["", *surge_section(*surge)]
    out += ["", *render_section(tracker, cluster)]
    out += ["", ENCODER_NOTE, "", DESIGN_NOTES_LINK]
    return "\n".join(out) + "\n"


def _load(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("--results", default=str(REPO / "bench" / "results"))
    parser.add_argument("--out", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    results = Path(args.results)
    page = render(
        _load(results / "nlu-latest.json"),
        _load(results / "latency-latest.json"),
        (_load(results / "surge-baseline.json"), _load(results / "surge-latest.json")),
        tracker=_load(results / "tracker-latest.json"),
        cluster=_load(results / "cluster-latest.json"),
    )
    Path(args.out).write_text(page, encoding="utf-8")
    sys.stdout.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
