"""The plain-text seed format: a headline line, a blank line, then the body paragraphs."""

from __future__ import annotations

from schemas.article import Article, check_body, clean, clean_headline, stable_id
from schemas.errors import InvalidArticle

NAME = "text"


def detect(text: str) -> bool:
    return True


def parse(text: str, stamp: str) -> list[Article | InvalidArticle]:
    return [from_text(text, stamp)]


def from_text(text: str, stamp: str) -> Article:
    text = clean(text).strip()
    if not text:
        raise InvalidArticle("empty_body", "payload is empty or whitespace")
    first, _, rest = text.partition("\n")
    headline = clean_headline(first)
    body = check_body(rest.strip() or None, "plain text has a headline line but no body after it")
    return Article(stable_id(headline, body), headline, body, None, None, stamp, "text")
