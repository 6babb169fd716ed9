"""Learn which verbs introduce an attribution, and through which frame, from PolNeAR train.

    .venv/bin/python scripts/train_cues.py [--out agents/stages/models/cues.json] \
        [--cache /tmp/polnear-train.spacy]

For every verb outside direct quotes in PolNeAR train (../shared/data/polnear, the train compartment,
extracted to a temporary folder; never copied into the repo), each content frame that
agents.stages.quotes.frames() offers (for verbs and, since issue 11, nouns: "the claim that ...") is
counted, and counted as a hit when its content matches a gold attribution content (the scorer's rule:
>= 30% overlap both ways) and the verb or noun lies in that attribution's gold cue (without the cue
condition, with --content-only, verbs inside a content were positives too, and the classifier could
not tell a cue from a verb inside what was said; README, issue 11). agents/stages/models/cues.json keeps
{"lemma frame": [hits, total]} for pairs seen at least twice with a hit; agents/stages/quotes.py uses a pair
when its hit rate is at least CUE_MIN_RATE. The same candidates, with agents.stages.quotes.candidate_features
(verb, frame, subject kind, tense, content size, ...), train a binary logistic regression (AdaGrad,
L2), written to agents/stages/models/attribution.json, which agents/stages/quotes.py prefers when
present. Both
files hold only feature names (verb lemmas, tags) and numbers, no text.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from streams.replay.corpus import shared_dir  # noqa: E402

DATA = shared_dir() / "data" / "polnear" / "polnear-v1.0.0-train-dev.tar.gz"


def load_articles(root: Path) -> list[dict]:
    """Like nlp_eval.polnear_articles, tolerant of the few malformed .ann lines in train: ``gold`` holds
    each attribution's content pieces, ``attributions`` its (content pieces, source pieces)."""
    anns: dict[str, Path] = {}
    for a in sorted((root / "attributions").glob("*.ann")):
        anns.setdefault(a.name.rsplit("_", 1)[0], a)
    out = []
    for t in sorted((root / "text").glob("*.txt")):
        if t.stem not in anns:
            continue
        spans, events = {}, []
        for line in anns[t.stem].read_text(encoding="utf-8").splitlines():
            try:
                if line.startswith("T"):
                    tid, meta, *_ = line.split("\t")
                    typ, offs = meta.split(" ", 1)
                    spans[tid] = [tuple(map(int, p.split())) for p in offs.split(";")]
                elif line.startswith("E"):
                    events.append(dict(x.split(":", 1) for x in line.split("\t", 1)[1].split()))
            except ValueError:
                continue
        pairs = [(spans[e["Content"]], spans.get(e.get("Source", ""), [])) for e in events
                 if e.get("Content") in spans]
        out.append({"id": "polnear-" + t.stem, "text": t.read_text(encoding="utf-8"),
                    "gold": [content for content, _ in pairs], "attributions": pairs,
                    "cues": [spans.get(e.get("Cue", ""), []) for e in events if e.get("Content") in spans]})
    return out


def matches(pieces, s: int, e: int, thr: float = 0.3) -> bool:
    pieces = sorted(pieces)
    ov = sum(max(0, min(b, e) - max(a, s)) for a, b in pieces)
    gaps = [(a[1], b[0]) for a, b in zip(pieces, pieces[1:], strict=False) if b[0] > a[1]]
    pred_len = (e - s) - sum(max(0, min(b, e) - max(a, s)) for a, b in gaps)
    gold_len = sum(b - a for a, b in pieces)
    return ov / max(1, gold_len) >= thr and ov / max(1, pred_len) >= thr


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "agents" / "stages" / "models" / "cues.json"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--clf-out", default=str(ROOT / "agents" / "stages" / "models" / "attribution.json"))
    ap.add_argument("--cache", default=None, help="DocBin of the parsed train articles (made if missing)")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--l2", type=float, default=1e-5)
    ap.add_argument("--content-only", action="store_true",
                    help="positive when the content matches a gold content, whatever its cue (the labelling "
                         "before issue 11; default: the cue word must also lie in that gold cue)")
    args = ap.parse_args(argv)

    from spacy.tokens import DocBin

    from agents.stages.nlp import load_nlp
    from agents.stages.quotes import candidate_features, frames, quoted_ranges, trim
    from agents.stages.quotes.frames import CUE_POS, cue_lemma

    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(DATA) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("polnear-data/train/")]
            tar.extractall(tmp, members=members, filter="data")
        arts = load_articles(Path(tmp) / "polnear-data" / "train")[: args.limit]
    nlp = load_nlp()
    if args.cache and Path(args.cache).exists():
        docs = list(DocBin().from_disk(args.cache).get_docs(nlp.vocab))
    else:
        docs = list(nlp.pipe((a["text"] for a in arts), batch_size=16))
        if args.cache:
            db = DocBin(store_user_data=False)
            for d in docs:
                db.add(d)
            db.to_disk(args.cache)
    hits, total = Counter(), Counter()
    data: list[tuple[list[str], int]] = []
    for n, (art, doc) in enumerate(zip(arts, docs, strict=True)):
        quoted = quoted_ranges(doc)

        def inside(tok, quoted=quoted) -> bool:
            return any(a <= tok.idx < b for a, b in quoted)

        for tok in doc:
            if tok.pos_ not in CUE_POS or inside(tok):
                continue
            for frame, span in frames(tok):
                span = trim(span)
                if sum(t.is_alpha and not inside(t) for t in span) <= 1:
                    continue
                key = f"{cue_lemma(tok)} {frame}"
                total[key] += 1
                hit = any(matches(g, span.start_char, span.end_char)
                          and (args.content_only or any(a <= tok.idx < b for a, b in cue))
                          for g, cue in zip(art["gold"], art["cues"], strict=True))
                hits[key] += hit
                data.append((candidate_features(tok, frame, span), int(hit)))
        if n % 100 == 0:
            print(f"{n}/{len(arts)} articles", file=sys.stderr, flush=True)
    table = {k: [hits[k], total[k]] for k in sorted(total) if total[k] >= 2 and hits[k] >= 1}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(table, indent=0, sort_keys=True), encoding="utf-8")
    print(f"wrote {args.out}: {len(table)} pairs", file=sys.stderr)

    weights = fit_logistic(data, epochs=args.epochs, l2=args.l2)
    counts = Counter(f for feats, _ in data for f in feats)
    weights = {f: round(w, 4) for f, w in weights.items() if counts[f] >= 2 and abs(w) > 1e-3}
    Path(args.clf_out).write_text(
        json.dumps({"weights": weights, "trained_on": "PolNeAR v1.0.0 train", "candidates": len(data)},
                   sort_keys=True), encoding="utf-8")
    print(f"wrote {args.clf_out}: {len(weights)} weights from {len(data)} candidates "
          f"({sum(y for _, y in data)} positive)", file=sys.stderr)
    return 0


def fit_logistic(data, *, epochs: int, l2: float, lr: float = 0.2) -> dict[str, float]:
    """Binary logistic regression with AdaGrad over sparse binary features."""
    import math
    import random

    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    rng = random.Random(0)
    order = list(range(len(data)))
    for epoch in range(epochs):
        rng.shuffle(order)
        loss = 0.0
        for i in order:
            feats, y = data[i]
            z = sum(w.get(f, 0.0) for f in feats)
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            loss -= math.log(p if y else 1 - p + 1e-12) if y else math.log(1 - p + 1e-12)
            g = p - y
            for f in feats:
                wf = w.get(f, 0.0)
                grad = g + l2 * wf
                g2[f] = g2.get(f, 0.0) + grad * grad
                w[f] = wf - lr * grad / math.sqrt(g2[f] + 1e-8)
        print(f"epoch {epoch}: log-loss {loss / len(data):.4f}", file=sys.stderr, flush=True)
    return w


if __name__ == "__main__":
    sys.exit(main())
