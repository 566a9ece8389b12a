import pytest

from bench.stats import percentile, ratio, summarize


@pytest.mark.parametrize(
    ("samples", "pct", "expected"),
    [
        ([5.0], 99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order of the input does not matter
        (list(range(101)), 99, 99.0),
        ([0.0, 10.0], 95, 9.5),
    ],
)
def test_percentile_interpolates_linearly(samples, pct, expected):
    assert percentile(samples, pct) == pytest.approx(expected)


@pytest.mark.parametrize(("samples", "pct"), [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_percentile_rejects_bad_input(samples, pct):
    with pytest.raises(ValueError, match="percentile"):
        percentile(samples, pct)


def test_summarize_reports_milliseconds_throughput_and_errors():
    summary = summarize([0.010, 0.020, 0.030, 0.040], elapsed_s=2.0, errors=3)
    assert summary.count == 4
    assert summary.errors == 3
    assert summary.p50_ms == pytest.approx(25.0)
    assert summary.max_ms == pytest.approx(40.0)
    assert summary.mean_ms == pytest.approx(25.0)
    assert summary.per_second == pytest.approx(2.0)
    assert summary.to_dict()["p99_ms"] == pytest.approx(39.7)


@pytest.mark.parametrize(("latencies", "elapsed"), [([], 1.0), ([0.1], 0.0)])
def test_summarize_refuses_empty_or_instant_runs(latencies, elapsed):
    with pytest.raises(ValueError, match=r"elapsed|no successful"):
        summarize(latencies, elapsed)


@pytest.mark.parametrize(
    ("baseline", "ours", "expected"),
    [(120.0, 40.0, 3.0), (None, 1.0, None), (1.0, None, None), (1.0, 0.0, None)],
)
def test_ratio(baseline, ours, expected):
    assert ratio(baseline, ours) == expected
