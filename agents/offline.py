"""Stage registry, record assembly (enriched schema v1) and the offline batch path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from spacy.language import Language
from spacy.tokens import Doc

from agents.stages.entities import entities_stage
from agents.stages.nlp import load_nlp
from agents.stages.quotes import extract_quotes
from agents.stages.sentiment import analyse_sentiment

SCHEMA_VERSION = 1
STAGES: dict[str, Callable[[Doc], object]] = {
    "entities": entities_stage,
    "quotes": extract_quotes,
    "sentiment": analyse_sentiment,
}
_NEUTRAL = {"label": "neutral", "score": 0.0}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assemble(article: dict, parts: dict, *, enriched_at: str) -> dict:
    """Merge the stage outputs into one enriched v1 record; `parts` is not modified.

    Entity sentiment moves from the sentiment stage onto each entity (neutral 0.0 when the stage has no
    score for it), so the record's top-level sentiment has no `entities` key.
    """
    sentiment = {k: v for k, v in parts["sentiment"].items() if k != "entities"}
    by_entity = parts["sentiment"].get("entities") or {}
    entities = [{**e, "sentiment": dict(by_entity.get(e["name"], _NEUTRAL))} for e in parts["entities"]]
    return {
        "id": article["id"],
        "schema_version": SCHEMA_VERSION,
        "headline": article.get("headline"),
        "body_text": article["body_text"],
        "language": article.get("language"),
        "received_at": article.get("received_at"),
        "enriched_at": enriched_at,
        "entities": entities,
        "quotes": parts["quotes"],
        "sentiment": sentiment,
    }


def enrich_articles(
    articles: Iterable[dict], *, nlp: Language | None = None, batch_size: int = 16
) -> Iterator[dict]:
    """Offline path: the same stages and assembly as the stream, with spaCy batching over body_text.

    Articles without `received_at` (e.g. evaluation inputs) get the enrichment time, so the record
    stays complete.
    """
    nlp = nlp or load_nlp()
    pairs = ((a["body_text"], a) for a in articles)
    for doc, article in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        parts = {name: fn(doc) for name, fn in STAGES.items()}
        now = utc_now()
        yield assemble({**article, "received_at": article.get("received_at") or now}, parts, enriched_at=now)
