"""What the stream costs per article, apart from the NLP (issue 15): the same BBC articles cut to a few
words, offline and through the broker with one worker, against the articles whole.

With the body cut to ``--short-words`` words the NLP costs almost nothing, so the worker's CPU per
article minus offline enrich's is the fixed cost of the hops (deliveries, guarded steps, sends, table
writes, commits); with the whole articles the same difference adds what grows with the article (the Doc
on the wire, bigger records). CPU seconds, not wall time: they hold up on a machine shared with other
work. Each size runs offline and then through a fresh set of topics on one local broker.

    .venv/bin/python bench/overhead.py [--articles 200] [--short-words 12] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import orjson
from throughput import (  # bench/, beside this file
    REPO,
    TARBALL,
    bench_offline,
    bench_pipeline,
    cold_broker_start,
)


def cut(payload: bytes, words: int) -> bytes:
    article = orjson.loads(payload)
    article["body_text"] = " ".join(article["body_text"].split()[:words])
    return orjson.dumps(article)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--short-words", type=int, default=12)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "overhead.json"))
    args = ap.parse_args()

    from streams.replay.corpus import bbc_payloads
    from streams.replay.source import Item, words

    pairs = bbc_payloads(TARBALL, args.articles, uuid.uuid4().hex[:6])
    sizes = {"whole": pairs, f"{args.short_words}_words": [(i, cut(p, args.short_words)) for i, p in pairs]}
    results: dict = {"articles": len(pairs), "command": " ".join([Path(sys.executable).name, *sys.argv])}
    with tempfile.TemporaryDirectory(prefix="wirestream-bench-") as home:
        os.environ["WIRESTREAM_HOME"] = home
        _, bootstrap = cold_broker_start(Path(home))
        try:
            for name, batch in sizes.items():
                items = [Item(i, p, words(orjson.loads(p)["body_text"])) for i, p in batch]
                offline = bench_offline([p for _, p in batch])
                piped = bench_pipeline(bootstrap, items, workers=1)
                worker = piped.get("worker_cpu_ms_per_article")
                results[name] = {
                    "words_per_article": round(sum(it.words for it in items) / len(items), 1),
                    "offline_cpu_ms_per_article": offline["cpu_ms_per_article"],
                    "worker_cpu_ms_per_article": worker,
                    "stream_cpu_ms_per_article": None if worker is None
                    else round(worker - offline["cpu_ms_per_article"], 1),
                    "offline": offline, "pipeline": piped}
                print(f"{name}: {orjson.dumps(results[name]).decode()}", file=sys.stderr, flush=True)
        finally:
            subprocess.run([sys.executable, "-m", "streams.cli", "broker", "stop"], cwd=REPO,
                           env={**os.environ}, capture_output=True, timeout=120)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    for name in sizes:
        r = results[name]
        print(f"{name:>10}: {r['words_per_article']:>6} words  offline {r['offline_cpu_ms_per_article']} ms"
              f"  worker {r['worker_cpu_ms_per_article']} ms  stream {r['stream_cpu_ms_per_article']} ms CPU")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
