"""The figures of a replay: latency percentiles, throughput, the summary table, the JSON report, the plot."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

REPORT_KEYS = ("throughput_articles_per_s", "throughput_words_per_s", "latency_ms", "articles",
               "deadletters", "worker_peak_rss_mb")
PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0}


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default);
    None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass
class Run:
    """What one replay measured. Times are time.monotonic() seconds."""

    articles: int  # messages replayed
    words: int  # words in the bodies of the replayed articles
    words_of: dict = field(default_factory=dict)  # id -> words in its body
    produced_at: dict = field(default_factory=dict)  # id -> produce time
    out_at: dict = field(default_factory=dict)  # id -> time its outcome became readable
    deadletters: int = 0
    missing: int = 0
    duplicates: int = 0
    worker_peak_rss_mb: float | None = None
    worker_cpu_s: float | None = None  # CPU seconds the started workers used while measured
    started: float = 0.0  # first produce
    finished: float = 0.0  # last outcome read

    def latencies_ms(self) -> list[float]:
        return [(self.out_at[i] - t) * 1000.0 for i, t in self.produced_at.items() if i in self.out_at]

    def series(self) -> tuple[list[float], list[float]]:
        """(seconds since the start at which each article was produced, its latency in ms), by time."""
        pairs = sorted((t - self.started, (self.out_at[i] - t) * 1000.0)
                       for i, t in self.produced_at.items() if i in self.out_at)
        return [p[0] for p in pairs], [p[1] for p in pairs]

    @property
    def duration(self) -> float:
        return max(self.finished - self.started, 1e-9)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def report(run: Run) -> dict:
    """The JSON report: exactly the keys of REPORT_KEYS. Throughput counts what came out over the time
    from the first produce to the last outcome read."""
    lat = run.latencies_ms()
    came_out = run.articles - run.missing
    latency = {name: _round(percentile(lat, q)) for name, q in PERCENTILES.items()}
    latency["max"] = _round(max(lat) if lat else None)
    return {
        "throughput_articles_per_s": round(came_out / run.duration, 3),
        "throughput_words_per_s": round(sum(run.words_of.get(i, 0) for i in run.out_at) / run.duration, 1),
        "latency_ms": latency,
        "articles": run.articles,
        "deadletters": run.deadletters,
        "worker_peak_rss_mb": _round(run.worker_peak_rss_mb),
    }


def table(run: Run, rep: dict) -> str:
    """The human summary printed at the end of a replay."""
    lat = rep["latency_ms"]

    def ms(v):
        return "-" if v is None else f"{v:,.0f} ms"

    rss = rep["worker_peak_rss_mb"]
    rows = [
        ("articles", f"{rep['articles']:,}" + (f"  ({run.missing:,} MISSING)" if run.missing else "")),
        ("words", f"{run.words:,}"),
        ("duration", f"{run.duration:,.1f} s"),
        ("articles/s", f"{rep['throughput_articles_per_s']:,.2f}"),
        ("words/s", f"{rep['throughput_words_per_s']:,.0f}"),
        ("latency p50 / p95", f"{ms(lat['p50'])} / {ms(lat['p95'])}"),
        ("latency p99 / max", f"{ms(lat['p99'])} / {ms(lat['max'])}"),
        ("dead letters", f"{rep['deadletters']:,}"),
        ("worker peak RSS", "-" if rss is None else f"{rss:,.0f} MB"),
    ]
    if run.duplicates:
        rows.append(("duplicates", f"{run.duplicates:,}"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def plot(run: Run, path: str) -> None:
    """PNG: latency over the run (by produce time) and its histogram."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    xs, ys = run.series()
    fig, (over_time, hist) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
    over_time.plot(xs, ys, ".", markersize=3)
    over_time.set(xlabel="produced at (s since start)", ylabel="end-to-end latency (ms)",
                  title="latency over time")
    hist.hist(ys, bins=min(50, max(len(ys), 1)))
    for name, q in PERCENTILES.items():
        value = percentile(ys, q)
        if value is not None:
            hist.axvline(value, linestyle="--", linewidth=1, color="grey")
            hist.annotate(name, (value, 0), rotation=90, va="bottom", ha="right", fontsize=8)
    hist.set(xlabel="end-to-end latency (ms)", ylabel="articles", title="latency histogram")
    fig.suptitle(f"{run.articles} articles, {len(ys) / run.duration:.2f} articles/s")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
