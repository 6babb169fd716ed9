"""What the join adds to each assembled record before publishing it: the skipped-stage note, places
geocoded (agents/enrichment/geo.py), near-duplicate marks (agents/enrichment/dedup.py) and the ninjs
projection
(agents/enrichment/ninjs.py). Pure over the duplicate index it is given: Faust tables in the worker
(agents/tables.py), plain dicts offline and in tests."""

from __future__ import annotations

from agents.enrichment import dedup
from agents.enrichment.geo import geocode_entities
from agents.enrichment.ninjs import project


def finish(record: dict, article_part: dict, *, bands, signatures) -> tuple[dict, dict]:
    """(enriched record, ninjs item) for one joined article; ``article_part`` is the article's part."""
    record = {**record, "entities": geocode_entities(record["entities"])}
    if skip := article_part.get("skipped"):
        record["skipped"] = skip
    if mark := dedup.check_and_add(record["id"], record["body_text"], bands, signatures):
        record.update(mark)
    return record, project(record, article_part["result"].get("ninjs"))
