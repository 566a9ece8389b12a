"""NLU quality and cost: our pipeline (``config.yml``) against stock Rasa's default pipeline.

Usage (bot environment, from the repository root)::

    .venv/bin/python -m bench.nlu --train train.csv --test test.csv --config config.yml --out DIR
    .venv/bin/python -m bench.nlu --banking77 ../shared/datasets/banking77/train.csv \
        --per-intent 10 --seed 42 [--max-test N] --config config.yml --out bench/results

Each pipeline is trained with Rasa's own ``train_nlu`` exactly as configured (the NLU part of
the config only: ``recipe``, ``language`` and ``pipeline``; policies play no part in intent
classification) and then scored in a fresh process of its own, so one pipeline's TensorFlow
threads and caches cannot slow down or speed up the other. Reported per pipeline: accuracy,
macro-F1, accuracy of the top-ranked real intent (what the classifier got right before the
``FallbackClassifier`` replaced low-confidence answers with ``nlu_fallback``), training time,
model load time and per-message parse time (median and p95, in-process ``Agent.parse_message``).

The stock pipeline is the config of ``rasa init`` (shipped inside Rasa), whose empty pipeline
Rasa fills with its default one. It takes about 7 minutes to train on 2 cores and never
changes, so ``--reuse-stock`` copies its row from the last report on the same data (marked
with ``reused_from``, the time it was measured) while iterating on the project's pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from bench.datasets import (
    Example,
    intent_names,
    load_csv,
    split_per_label,
    stratified_head,
    to_rasa_nlu_yaml,
)
from bench.machine import machine_info
from bench.metrics import accuracy, macro_f1
from bench.stats import percentile

REPO = Path(__file__).resolve().parents[1]
FALLBACK_INTENT = "nlu_fallback"
NLU_KEYS = ("recipe", "language", "pipeline", "assistant_id")
STOCK = "stock-rasa-default"
logger = logging.getLogger("bench.nlu")


def stock_config_path() -> Path:
    """The config ``rasa init`` writes, as shipped inside the installed Rasa."""
    import rasa.cli

    return Path(rasa.cli.__file__).parent / "initial_project" / "config.yml"


def nlu_only_config(config_path: Path) -> dict[str, Any]:
    """The NLU part of a Rasa config, unchanged (no policies: they cannot affect intents)."""
    loaded = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    return {key: loaded[key] for key in NLU_KEYS if key in loaded}


def top_real_intent(parse: dict[str, Any]) -> str | None:
    """Best intent that is not ``nlu_fallback``: what the classifier itself ranked first."""
    for entry in parse.get("intent_ranking") or []:
        name = entry.get("name")
        if name and name != FALLBACK_INTENT:
            return str(name)
    intent = (parse.get("intent") or {}).get("name")
    return str(intent) if intent and intent != FALLBACK_INTENT else None


# --------------------------------------------------------------------------------------------
# Worker: trains and scores one pipeline in this process.


async def _parse_all(model_path: str, texts: Sequence[str]) -> tuple[list[Any], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    parses = []
    timings = []
    for text in texts:
        start = time.perf_counter()
        parses.append(await agent.parse_message(text))
        timings.append(time.perf_counter() - start)
    return parses, timings


def run_worker(name: str, config_path: Path, workdir: Path) -> dict[str, Any]:
    """Train pipeline ``name`` on ``workdir/nlu.yml``, score it on ``workdir/test.json``."""
    from rasa.model_training import train_nlu

    test = json.loads((workdir / "test.json").read_text(encoding="utf-8"))
    texts = [row["text"] for row in test]
    gold = [row["intent"] for row in test]

    start = time.perf_counter()
    model_path = train_nlu(
        config=str(config_path),
        nlu_data=str(workdir / "nlu.yml"),
        output=str(workdir / f"models-{name}"),
        fixed_model_name=name,
    )
    train_seconds = time.perf_counter() - start
    if model_path is None:
        raise RuntimeError(f"rasa train nlu produced no model for {name}")

    from rasa.core.agent import Agent

    start = time.perf_counter()
    Agent.load(model_path)
    load_seconds = time.perf_counter() - start

    parses, timings = asyncio.run(_parse_all(model_path, texts))
    predicted = [str((p.get("intent") or {}).get("name") or FALLBACK_INTENT) for p in parses]
    ranked = [top_real_intent(p) or FALLBACK_INTENT for p in parses]
    return {
        "pipeline": name,
        "config": str(config_path),
        "accuracy": round(accuracy(gold, predicted), 4),
        "macro_f1": round(macro_f1(gold, predicted), 4),
        "top_ranked_accuracy": round(accuracy(gold, ranked), 4),
        "fallback_rate": round(predicted.count(FALLBACK_INTENT) / len(predicted), 4),
        "train_seconds": round(train_seconds, 1),
        "model_load_seconds": round(load_seconds, 2),
        "parse_ms_median": round(percentile(timings, 50) * 1000, 2),
        "parse_ms_p95": round(percentile(timings, 95) * 1000, 2),
        "test_messages": len(texts),
    }


# --------------------------------------------------------------------------------------------
# Orchestrator: prepares data, runs one worker process per pipeline, reports.


def prepare_workdir(
    workdir: Path, train: Sequence[Example], test: Sequence[Example]
) -> dict[str, str]:
    """Write ``nlu.yml`` (training) and ``test.json`` (held-out) with Rasa-safe intent names."""
    names = intent_names([example.label for example in [*train, *test]])
    (workdir / "nlu.yml").write_text(to_rasa_nlu_yaml(train, names), encoding="utf-8")
    rows = [{"text": example.text, "intent": names[example.label]} for example in test]
    (workdir / "test.json").write_text(json.dumps(rows), encoding="utf-8")
    return names


def write_config(workdir: Path, name: str, source: Path) -> Path:
    """The NLU-only copy of a config for one pipeline."""
    path = workdir / f"config-{name}.yml"
    path.write_text(yaml.safe_dump(nlu_only_config(source), sort_keys=False), encoding="utf-8")
    return path


def run_pipeline_process(name: str, config_path: Path, workdir: Path) -> dict[str, Any]:
    """Run one pipeline in a fresh Python process; a failure is reported, not raised."""
    result_path = workdir / f"result-{name}.json"
    log_path = workdir / f"{name}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # A fresh, empty training cache per pipeline: Rasa's shared cache (.rasa/cache) would let a
    # rerun reuse trained components and report a training time that was never spent.
    env["RASA_CACHE_DIRECTORY"] = str(workdir / f"rasa-cache-{name}")
    command = [
        sys.executable,
        "-m",
        "bench.nlu",
        "--worker",
        name,
        "--config",
        str(config_path),
        "--workdir",
        str(workdir),
    ]
    with log_path.open("wb") as log:
        completed = subprocess.run(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if completed.returncode != 0 or not result_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        logger.error(
            "pipeline %s failed (exit %s); log tail:\n%s",
            name,
            completed.returncode,
            "\n".join(tail),
        )
        return {
            "pipeline": name,
            "config": str(config_path),
            "error": f"exit {completed.returncode}",
        }
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    return result


def load_data(args: argparse.Namespace) -> tuple[list[Example], list[Example], dict[str, Any]]:
    """Training and test examples plus a description of where they came from."""
    if args.banking77:
        rows = load_csv(Path(args.banking77))
        train, test = split_per_label(rows, args.per_intent, args.seed)
        source = {
            "dataset": "BANKING77 (CC BY 4.0), training split",
            "path": str(args.banking77),
            "per_intent": args.per_intent,
            "seed": args.seed,
            "test": "held-out rows of the same file",
        }
    else:
        train = load_csv(Path(args.train))
        test = load_csv(Path(args.test))
        source = {"train": str(args.train), "test": str(args.test)}
    if args.max_test and len(test) > args.max_test:
        test = stratified_head(test, args.max_test, args.seed)
        source["max_test"] = args.max_test
    source["train_examples"] = len(train)
    source["test_examples"] = len(test)
    source["intents"] = len({example.label for example in train})
    return train, test, source


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """A plain-text table of the per-pipeline numbers for the terminal."""
    header = (
        f"{'pipeline':<24}{'acc':>8}{'macroF1':>9}{'top1':>8}{'fallbk':>8}"
        f"{'train s':>9}{'load s':>8}{'parse ms':>10}"
    )
    lines = [header, "-" * len(header)]
    for row in results:
        if "error" in row:
            lines.append(f"{row['pipeline']:<24}  failed: {row['error']}")
            continue
        lines.append(
            f"{row['pipeline']:<24}{row['accuracy']:>8.1%}{row['macro_f1']:>9.3f}"
            f"{row['top_ranked_accuracy']:>8.1%}{row['fallback_rate']:>8.1%}"
            f"{row['train_seconds']:>9.1f}{row['model_load_seconds']:>8.2f}"
            f"{row['parse_ms_median']:>10.2f}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu", description=__doc__.split("\n")[0])
    data = parser.add_argument_group("data (either --train/--test or --banking77)")
    data.add_argument("--train", help="training CSV (text,label)")
    data.add_argument("--test", help="test CSV (text,label)")
    data.add_argument("--banking77", help="BANKING77 CSV to sample training rows from")
    data.add_argument("--per-intent", type=int, default=10, help="training rows per intent")
    data.add_argument("--seed", type=int, default=42)
    data.add_argument("--max-test", type=int, default=0, help="cap the test set (stratified)")
    parser.add_argument("--config", default="config.yml", help="the project's Rasa config")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=CONFIG",
        help="an extra pipeline to compare (repeatable)",
    )
    parser.add_argument("--no-stock", action="store_true", help="skip stock Rasa's pipeline")
    parser.add_argument(
        "--reuse-stock",
        action="store_true",
        help="copy stock Rasa's row from the last report in --out if it used the same data "
        "(saves its ~7-minute training; the row is marked as reused); else run it",
    )
    parser.add_argument("--no-project", action="store_true", help="skip the project's pipeline")
    parser.add_argument(
        "--other-seeds",
        type=lambda text: [int(part) for part in text.split(",") if part.strip()],
        default=[],
        metavar="N,N,...",
        help="with --banking77: also score the project pipeline on these seeds' samples "
        "(mean and spread of one-sample figures)",
    )
    parser.add_argument("--out", default=str(REPO / "bench" / "results"), help="results folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.worker and not args.banking77 and not (args.train and args.test):
        parser.error("give --train and --test, or --banking77")
    return args


def pipelines_to_run(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(name, config) pairs in the order they run."""
    chosen: list[tuple[str, Path]] = []
    if not args.no_project:
        chosen.append(("project", Path(args.config).resolve()))
    for variant in args.variant:
        name, _, path = variant.partition("=")
        if not name or not path:
            raise SystemExit(f"--variant must be NAME=CONFIG, got {variant!r}")
        chosen.append((name, Path(path).resolve()))
    if not args.no_stock:
        chosen.append((STOCK, stock_config_path()))
    return chosen


def reusable_stock_row(out: Path, source: dict[str, Any]) -> dict[str, Any] | None:
    """Stock Rasa's row of the last report in ``out``, if it was measured on the same data.

    Stock Rasa's pipeline does not change between runs of this project, so its 7-minute
    training need not be repeated for every change to ours; the row keeps the time it was
    measured at (``reused_from``) so nobody mistakes it for a side-by-side figure.
    """
    path = out / "nlu-latest.json"
    if not path.is_file():
        return None
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("cannot reuse stock Rasa's row from %s: %s", path, error)
        return None
    if previous.get("data") != source:
        logger.info("last report used other data; stock Rasa's pipeline runs again")
        return None
    for row in previous.get("results") or []:
        if row.get("pipeline") == STOCK and "error" not in row:
            measured = row.get("reused_from") or (previous.get("machine") or {}).get("measured_at")
            return {**row, "reused_from": measured}
    return None


def seed_spread(
    args: argparse.Namespace, first: dict[str, Any] | None, seeds: Sequence[int]
) -> dict[str, Any] | None:
    """The project pipeline on other 10-shot samples: how much one sample's figure can move.

    Few-shot scores depend on which ten examples per intent were drawn (a point or two on
    BANKING77), so one seed's figure alone cannot say whether a target is met. Each extra seed
    draws a new sample (and so a new held-out set) and trains and scores the pipeline alone.
    """
    if first is None or "error" in first or not seeds:
        return None
    rows = [{"seed": args.seed, **_spread_fields(first)}]
    for seed in seeds:
        train, test, _ = load_data(argparse.Namespace(**{**vars(args), "seed": seed}))
        with tempfile.TemporaryDirectory(prefix=f"bench-nlu-seed{seed}-") as tmp:
            workdir = Path(tmp)
            prepare_workdir(workdir, train, test)
            logger.info("training and scoring project on the sample of seed %d", seed)
            config = write_config(workdir, "project", Path(args.config).resolve())
            result = run_pipeline_process("project", config, workdir)
        if "error" in result:
            return {"rows": rows, "error": f"seed {seed}: {result['error']}"}
        rows.append({"seed": seed, **_spread_fields(result)})
    top = [row["top_ranked_accuracy"] for row in rows]
    return {
        "rows": rows,
        "top_ranked_mean": round(statistics.mean(top), 4),
        "top_ranked_sd": round(statistics.stdev(top), 4) if len(top) > 1 else 0.0,
        "accuracy_mean": round(statistics.mean(row["accuracy"] for row in rows), 4),
    }


def _spread_fields(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("accuracy", "top_ranked_accuracy", "macro_f1", "train_seconds")
    return {key: result[key] for key in keys}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    # Config paths (the spaCy pipeline under build/) are relative to the repository root.
    os.chdir(REPO)
    if args.worker:
        result = run_worker(args.worker, Path(args.config), Path(args.workdir))
        path = Path(args.workdir) / f"result-{args.worker}.json"
        path.write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0

    logger.setLevel(logging.INFO)
    train, test, source = load_data(args)
    results = []
    out = Path(args.out)
    reused = reusable_stock_row(out, source) if args.reuse_stock and not args.no_stock else None
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
        workdir = Path(tmp)
        prepare_workdir(workdir, train, test)
        for name, config in pipelines_to_run(args):
            if name == STOCK and reused is not None:
                logger.info("reusing %s measured at %s", name, reused["reused_from"])
                results.append(reused)
                continue
            logger.info("training and scoring %s (%s)", name, config)
            results.append(run_pipeline_process(name, write_config(workdir, name, config), workdir))
            results[-1]["config"] = str(config)
    project = next((row for row in results if row.get("pipeline") == "project"), None)
    spread = seed_spread(args, project, args.other_seeds) if args.banking77 else None
    report = {
        "kind": "nlu",
        "command": " ".join(
            [Path(sys.executable).name, "-m", "bench.nlu", *(argv or sys.argv[1:])]
        ),
        "machine": machine_info(),
        "data": source,
        "results": results,
    }
    if spread is not None:
        report["seed_spread"] = spread
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for path in (out / f"nlu-{stamp}.json", out / "nlu-latest.json"):
        path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    sys.stdout.write(format_table(results) + "\n")
    sys.stdout.write(f"results: {out / 'nlu-latest.json'}\n")
    return 1 if any("error" in row for row in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
