"""Train the entity-targeted sentiment model (agents/stages/models/sentiment.json) on NewsMTSC train.

    .venv/bin/python scripts/train_sentiment.py [--l2 1e-3] [--out agents/stages/models/sentiment.json]

Data: ../shared/data/newsmtsc/train.jsonl (Hamborg & Donnay, EACL 2021; repo MIT, sentences from US
news, copyright with the publishers; not copied into the repo). Each target mention in a sentence
gives one example (negative / neutral / positive); the features are agents.stages.sentiment.target_features
over the load_nlp() parse, the model a class-balanced multinomial logistic regression (L2) fitted with
full-batch Adam in numpy. devtest_mt is scored on gold target spans after training (macro-F1); the
end-to-end number (through our own entity mentions) is in bench/quality.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from streams.replay.corpus import shared_dir  # noqa: E402

DATA = shared_dir() / "data" / "newsmtsc"
POL = {2.0: 0, 4.0: 1, 6.0: 2}


def examples(path: Path, nlp):
    from agents.stages.nlp import segments
    from agents.stages.sentiment import analyzer, target_features

    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    X, y = [], []
    va = analyzer()
    for row, doc in zip(rows, nlp.pipe((r["sentence_normalized"] for r in rows), batch_size=64), strict=True):
        segs = segments(doc)
        for t in row["targets"]:
            span = doc.char_span(t["from"], t["to"], alignment_mode="expand")
            seg = next((s for s in segs if s.start_char <= t["from"] < s.end_char), None)
            if span is None or seg is None:
                continue
            comp = va.polarity_scores(seg.text)["compound"]
            X.append(target_features(seg, span.start, span.end, comp))
            y.append(POL[float(t["polarity"])])
    return X, np.array(y)


def vectorise(X, index):
    M = np.zeros((len(X), len(index)), dtype=np.float32)
    for i, f in enumerate(X):
        for k, v in f.items():
            j = index.get(k)
            if j is not None:
                M[i, j] = v
    return M


def fit(M, y, l2: float, epochs: int = 400, lr: float = 0.05):
    n, d = M.shape
    W = np.zeros((d, 3), dtype=np.float32)
    b = np.zeros(3, dtype=np.float32)
    Y = np.eye(3, dtype=np.float32)[y]
    cw = n / (3 * np.bincount(y, minlength=3))  # class-balanced
    sw = cw[y].astype(np.float32)[:, None]
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    for t in range(1, epochs + 1):
        Z = M @ W + b
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        G = (P - Y) * sw / n
        gW = M.T @ G + l2 * W
        gb = G.sum(0)
        for g, m, v, p in ((gW, mW, vW, W), (gb, mb, vb, b)):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return W, b


def macro_f1(y, p):
    f = []
    for c in range(3):
        tp = np.sum((y == c) & (p == c))
        pr, rc = tp / max(1, np.sum(p == c)), tp / max(1, np.sum(y == c))
        f.append(2 * pr * rc / max(1e-9, pr + rc))
    return float(np.mean(f))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--out", default=str(ROOT / "agents" / "stages" / "models" / "sentiment.json"))
    ap.add_argument("--sweep", action="store_true", help="print dev macro-F1 for several l2 values")
    args = ap.parse_args(argv)

    from agents.stages.nlp import load_nlp

    nlp = load_nlp()
    t0 = time.time()
    Xtr, ytr = examples(DATA / "train.jsonl", nlp)
    Xdv, ydv = examples(DATA / "devtest_mt.jsonl", nlp)
    counts = Counter(k for f in Xtr for k in f)
    names = sorted(k for k, c in counts.items() if c >= args.min_count)
    index = {k: i for i, k in enumerate(names)}
    Mtr, Mdv = vectorise(Xtr, index), vectorise(Xdv, index)
    print(f"{len(ytr)} train / {len(ydv)} dev targets, {len(names)} features, {time.time() - t0:.0f}s",
          file=sys.stderr)
    l2s = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3] if args.sweep else [args.l2]
    for l2 in l2s:
        W, b = fit(Mtr, ytr, l2, epochs=args.epochs)
        pred = (Mdv @ W + b).argmax(1)
        tr = (Mtr @ W + b).argmax(1)
        print(f"l2 {l2:g}: train macro-F1 {macro_f1(ytr, tr):.4f}, devtest_mt (gold spans) "
              f"{macro_f1(ydv, pred):.4f}", file=sys.stderr)
    keep = np.abs(W).max(1) > 1e-3
    model = {
        "classes": ["negative", "neutral", "positive"],
        "bias": [round(float(x), 5) for x in b],
        "weights": {n: [round(float(x), 4) for x in W[i]] for i, n in enumerate(names) if keep[i]},
        "trained_on": "NewsMTSC train.jsonl (Hamborg & Donnay 2021)",
        "l2": args.l2,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out}: {len(model['weights'])} features", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
