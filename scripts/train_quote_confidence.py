"""Train the quote confidence model (agents/stages/quotes/confidence.py) on PolNeAR train, and choose the
threshold on PolNeAR dev.

    .venv/bin/python scripts/train_quote_confidence.py [--cache /tmp/polnear-train.spacy]

Every record the quote rules find on a train article (agents.stages.quotes.candidates) is labelled 1
when it matches a gold attribution as ../shared/tools/nlp_eval.py matches them (content overlap >= 0.3
both ways) and, where the gold has a source, the predicted speaker overlaps it; the features are the
evidence the record was found by (confidence.features). A logistic regression (scripts/train_cues.py's
fit_logistic) turns them into a probability, written with its provenance to
agents/stages/models/quote_confidence.json (feature names and numbers only, no text). Then, on dev,
the scorer's all@0.3 P/R/F for a range of thresholds is printed (records are emitted at or above the
threshold), which is how WIRESTREAM_QUOTE_MIN_CONFIDENCE's default was chosen (README "Quality").
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from train_cues import fit_logistic, load_articles, matches  # noqa: E402

from streams.replay.corpus import load_nlp_eval, shared_dir  # noqa: E402

DATA = shared_dir() / "data" / "polnear" / "polnear-v1.0.0-train-dev.tar.gz"
OUT = ROOT / "agents" / "stages" / "models" / "quote_confidence.json"


def label(rec: dict, gold) -> int:
    s, e = rec["content"]["start"], rec["content"]["end"]
    sp = rec.get("speaker")
    for content, source in gold:
        if matches(content, s, e):
            if not source:
                return 1
            if sp and any(max(0, min(b, sp["end"]) - max(a, sp["start"])) for a, b in source):
                return 1
    return 0


def parse(nlp, texts, cache: str | None):
    from spacy.tokens import DocBin

    if cache and Path(cache).exists():
        return list(DocBin().from_disk(cache).get_docs(nlp.vocab))
    docs = list(nlp.pipe(texts, batch_size=16))
    if cache:
        db = DocBin(store_user_data=False)
        for d in docs:
            db.add(d)
        db.to_disk(cache)
    return docs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--cache", default=None, help="DocBin of the parsed train articles (made if missing)")
    ap.add_argument("--dev-cache", default=None)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--l2", type=float, default=1e-4)
    args = ap.parse_args(argv)

    from agents.stages.nlp import load_nlp
    from agents.stages.quotes import candidates, extract_quotes
    from agents.stages.quotes import confidence as conf

    nlp = load_nlp()
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(DATA) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(("polnear-data/train/",
                                                                          "polnear-data/dev/"))]
            tar.extractall(tmp, members=members, filter="data")
        train = load_articles(Path(tmp) / "polnear-data" / "train")
        dev_root = Path(tmp) / "polnear-data" / "dev"
        dev = load_articles(dev_root)
        data = []
        for art, doc in zip(train, parse(nlp, [a["text"] for a in train], args.cache), strict=True):
            for rec in candidates(doc):
                data.append((conf.features(doc, rec), label(rec, art["attributions"])))
        print(f"{len(data)} train records, {sum(y for _, y in data)} correct", file=sys.stderr)
        weights = fit_logistic(data, epochs=args.epochs, l2=args.l2)
        weights = {f: round(w, 4) for f, w in weights.items() if abs(w) > 1e-3}
        Path(args.out).write_text(json.dumps(
            {"weights": weights, "trained_on": "PolNeAR v1.0.0 train", "records": len(data),
             "label": "content matches gold at 0.3 both ways and speaker overlaps the gold source"},
            sort_keys=True), encoding="utf-8")
        conf._weights.cache_clear()
        print(f"wrote {args.out}: {len(weights)} weights", file=sys.stderr)

        nlp_eval = load_nlp_eval()
        dev_docs = parse(nlp, [a["text"] for a in dev], args.dev_cache)
        print("threshold  all@0.3 P    R      F      direct@0.8 F  speaker")
        for thr in (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
            outs = {a["id"]: {"quotes": extract_quotes(d, min_confidence=thr)}
                    for a, d in zip(dev, dev_docs, strict=True)}
            st = nlp_eval.score_polnear(dev_root, outs)
            a, d = st["all@0.3"], st["direct@0.8"]
            print(f"{thr:9.2f}  {a['p']:.3f}  {a['r']:.3f}  {a['f']:.3f}  {d['f']:.3f}"
                  f"         {a['speaker_acc']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
