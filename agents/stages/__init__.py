"""The NLP stages: pure functions over a spaCy ``Doc``, each giving one part of the enriched record.

The stream runs each in its own agent (agents/pipeline.py), the offline path one after the other
(agents/offline.py); both take them from :data:`STAGES`.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

from agents.stages.entities import entities_stage
from agents.stages.quotes import extract_quotes
from agents.stages.sentiment import analyse_sentiment

STAGES: dict[str, Callable[[Doc], object]] = {
    "entities": entities_stage,
    "quotes": extract_quotes,
    "sentiment": analyse_sentiment,
}
