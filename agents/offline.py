"""The offline path (``wirestream enrich``, evaluation): the stream's stages, assembly and finishing
touches in one process, with spaCy batching over ``body_text``; no Kafka."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from spacy.language import Language

from agents.enrichment.finish import finish
from agents.enrichment.intake import EMPTY_RESULTS
from agents.enrichment.language import skipped
from agents.enrichment.record import assemble
from agents.stages import STAGES
from agents.stages.nlp import load_nlp
from schemas.clock import utc_now


def enrich_articles(
    articles: Iterable[dict], *, nlp: Language | None = None, batch_size: int = 16
) -> Iterator[dict]:
    """The same stages and assembly as the stream, with spaCy batching over body_text.

    Articles without `received_at` (e.g. evaluation inputs) get the enrichment time, so the record
    stays complete.
    """
    nlp = nlp or load_nlp()
    pairs = ((a["body_text"], a) for a in articles)
    for doc, article in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        parts = {name: fn(doc) for name, fn in STAGES.items()}
        now = utc_now()
        yield assemble({**article, "received_at": article.get("received_at") or now}, parts, enriched_at=now)


def enrich_offline(articles, *, batch_size: int = 16):
    """The offline path (``wirestream enrich``): the stream's stages and finishing touches (places,
    near-duplicates within this run, ``skipped`` for non-English articles), in input order."""

    from agents.enrichment.record import assemble
    from agents.offline import enrich_articles
    from schemas.clock import utc_now

    bands, signatures = {}, {}
    it = iter(articles)
    while chunk := list(islice(it, batch_size * 4)):
        english = iter(enrich_articles([a.to_dict() for a in chunk if skipped(a.language) is None],
                                       batch_size=batch_size))
        for article in chunk:
            skip = skipped(article.language)
            if skip is None:
                record = next(english)
            else:
                now = utc_now()
                record = assemble({**article.to_dict(), "received_at": article.received_at or now},
                                  EMPTY_RESULTS, enriched_at=now)
            part = {"result": article.to_dict(), "skipped": skip}
            yield finish(record, part, bands=bands, signatures=signatures)[0]
