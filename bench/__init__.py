"""Benchmarks against stock Rasa: reply latency, handoff delay, hub scale, NLU quality.

Run everything with ``make bench`` (``scripts/bench.sh``); results go to ``bench/results/``
and the table in ``docs/benchmarks.md``.
"""
