"""The enriched record (schema v1) assembled from an article and its stages' results."""

from __future__ import annotations

SCHEMA_VERSION = 1
_NEUTRAL = {"label": "neutral", "score": 0.0}


def assemble(article: dict, parts: dict, *, enriched_at: str) -> dict:
    """Merge the stage outputs into one enriched v1 record; `parts` is not modified.

    Entity sentiment moves from the sentiment stage onto each entity (neutral 0.0 when the stage has no
    score for it), so the record's top-level sentiment has no `entities` key. What the source said about
    the item (guid, version, byline, subjects, ...) is `source_meta`, present when the format gave any.
    """
    sentiment = {k: v for k, v in parts["sentiment"].items() if k != "entities"}
    by_entity = parts["sentiment"].get("entities") or {}
    entities = [{**e, "sentiment": dict(by_entity.get(e["name"], _NEUTRAL))} for e in parts["entities"]]
    record = {
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
    if article.get("source_meta"):
        record["source_meta"] = article["source_meta"]
    return record
