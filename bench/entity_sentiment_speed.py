"""Speed, load time and memory of the entity-sentiment encoder (agents/stages/entity_sentiment.py).

    nice -n 10 .venv/bin/python bench/entity_sentiment_speed.py [--threads 1] [--limit 600] [--model-dir DIR]

Items are NewsMTSC devtest_mt gold target spans (../shared/data, not copied into the repo), scored in
batches of 64 sorted by length, as the sentiment stage does per article. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=600)
    ap.add_argument("--model-dir", default=None)
    args = ap.parse_args()
    os.environ["WIRESTREAM_ORT_THREADS"] = str(args.threads)
    import numpy as np  # noqa: F401

    from agents.stages import entity_sentiment as eso
    from streams.replay.corpus import shared_dir

    items = []
    dev = shared_dir() / "data" / "newsmtsc" / "devtest_mt.jsonl"
    for line in dev.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        items += [(d["sentence_normalized"], t["from"], t["to"]) for t in d["targets"]]
    items = items[: args.limit]
    import onnxruntime  # noqa: F401  (import cost is not part of the model load)
    import tokenizers  # noqa: F401

    r0 = rss_mb()
    t = time.perf_counter()
    eso.session(args.model_dir)
    eso.tokenizer(args.model_dir)
    load_s = time.perf_counter() - t
    eso.score_targets(items[:8], args.model_dir)  # warm-up
    r1 = rss_mb()
    t, c = time.perf_counter(), time.process_time()
    eso.score_targets(items, args.model_dir)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    r2 = rss_mb()
    print(json.dumps({"threads": args.threads, "targets": len(items),
                      "targets_per_s_wall": round(len(items) / wall, 1),
                      "targets_per_cpu_s": round(len(items) / cpu, 1), "load_s": round(load_s, 3),
                      "rss_added_by_load_mb": round(r1 - r0, 1), "rss_added_total_mb": round(r2 - r0, 1),
                      "model": eso.meta(args.model_dir).get("weights")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
