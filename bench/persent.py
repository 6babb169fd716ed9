"""Document-level sentiment towards the main person (PerSenT dev, ../shared/data/persent/dev.csv):
VADER's document sentiment beside our entity sentiment of the target, macro-F1 over Positive/Neutral/
Negative. PerSenT's test files are held back: this reads dev only.

    .venv/bin/python bench/persent.py [--profile fast|accurate] [--limit N]

The target is the enriched record's entity whose name shares its last word with TARGET_ENTITY (PerSenT
names the person as the article first does); a document where no entity matches counts as neutral for
the entity measure (coverage is printed).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ("positive", "neutral", "negative")


def macro_f1(gold: list[str], pred: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def target_entity(record: dict, target: str) -> dict | None:
    last = target.split()[-1].lower()
    people = [e for e in record["entities"] if e["name"].split()[-1].lower() == last]
    return max(people, key=lambda e: len(e["mentions"]), default=None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default=None)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    if args.profile:
        os.environ["WIRESTREAM_PROFILE"] = args.profile
    from agents.offline import enrich_articles
    from streams.replay.corpus import shared_dir

    csv.field_size_limit(10_000_000)
    with open(shared_dir() / "data" / "persent" / "dev.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[: args.limit]
    articles = [{"id": r["DOCUMENT_INDEX"], "headline": r["TITLE"], "body_text": r["DOCUMENT"]} for r in rows]
    started = time.process_time()
    records = list(enrich_articles(articles))
    cpu = time.process_time() - started
    gold = [r["TRUE_SENTIMENT"].lower() for r in rows]
    doc = [rec["sentiment"]["label"] for rec in records]
    found = [target_entity(rec, r["TARGET_ENTITY"]) for rec, r in zip(records, rows, strict=True)]
    ent = [e["sentiment"]["label"] if e else "neutral" for e in found]
    words = sum(len(a["body_text"].split()) for a in articles)
    print(f"PerSenT dev, {len(rows)} documents, profile {os.environ.get('WIRESTREAM_PROFILE', 'fast')}")
    print(f"| document sentiment (VADER), macro-F1 | {macro_f1(gold, doc):.3f} |")
    print(f"| entity sentiment of the target, macro-F1 | {macro_f1(gold, ent):.3f} |")
    print(f"| target found among the entities | {sum(e is not None for e in found)}/{len(rows)} |")
    print(f"| enrich, words per CPU second | {words / cpu:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
