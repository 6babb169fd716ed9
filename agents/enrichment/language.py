"""Language identification (py3langid, whose model ships inside the package).

A declared language always wins. Otherwise the detected language is used when the classifier is
confident; short or mixed texts (a one-line test article, a list of names) are not, and then a
feed-wide default is used if there is one, else the language stays unknown (``None``). Unknown is
treated as English by the pipeline: the English stages are the pipeline's purpose, and skipping them
on a guess would lose real articles.
"""

from __future__ import annotations

import dataclasses
import functools

from schemas.article import Article

MIN_CONFIDENCE = 0.90
MIN_CHARS = 40  # below this the character n-gram model is guessing
SAMPLE_CHARS = 5_000  # the first few paragraphs decide; classification cost grows with length
ENGLISH_ONLY_STAGES = ("entities", "quotes", "sentiment")


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, confidence), or (None, confidence) when not confident enough."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < MIN_CHARS:
        return None, 0.0
    lang, prob = _identifier().classify(sample)
    return (lang if prob >= MIN_CONFIDENCE else None), float(prob)


def with_language(article: Article) -> Article:
    """The article with ``language`` filled when absent (see the module docstring for the rules)."""
    if article.language:
        return article
    lang, _ = detect(article.body_text)
    lang = lang or (article.ninjs or {}).get("language")
    return dataclasses.replace(article, language=lang) if isinstance(lang, str) and lang else article


def is_english(language: str | None) -> bool:
    return language is None or language.lower().split("-")[0].split("_")[0] in ("en", "eng")


def skipped(language: str | None) -> dict | None:
    """What the enriched record says about stages not run, or None when every stage runs."""
    if is_english(language):
        return None
    return {"stages": list(ENGLISH_ONLY_STAGES), "reason": f"language={language}"}
