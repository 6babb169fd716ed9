"""From a raw payload to the articles the pipeline works on: every article in it, language filled.

Non-English articles skip the English-only stages: instead of spaCy output they get empty stage
results straight away (no entities, no quotes, neutral sentiment), and the article part says which
stages were skipped and why, which the join copies into the enriched record as ``skipped``.
"""

from __future__ import annotations

from agents.enrichment.language import skipped, with_language
from schemas.article import Article
from schemas.errors import InvalidArticle
from schemas.formats import parse_many

EMPTY_RESULTS = {
    "entities": [],
    "quotes": [],
    "sentiment": {"label": "neutral", "score": 0.0, "sentences": []},
}


def articles_in(raw: bytes) -> list[Article | InvalidArticle]:
    """Every article of one raw message (raises InvalidArticle if the message as a whole is unusable)."""
    return [a if isinstance(a, InvalidArticle) else with_language(a) for a in parse_many(raw)]


def skip_parts(article: Article, ref: dict, article_stage: str) -> list[dict] | None:
    """Partial-topic values for an article that skips the NLP stages, or None if it does not."""
    skip = skipped(article.language)
    if skip is None:
        return None
    parts = [{**ref, "stage": article_stage, "result": article.to_dict(), "skipped": skip}]
    parts += [{**ref, "stage": stage, "result": result} for stage, result in EMPTY_RESULTS.items()]
    return parts


def item_detail(detail: str, index: int, count: int) -> str:
    return f"item {index} of {count}: {detail}" if count > 1 else detail
