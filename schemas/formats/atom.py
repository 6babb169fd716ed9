"""Atom feeds (``<feed xmlns="http://www.w3.org/2005/Atom">``): one article per entry
(schemas/formats/feed.py)."""

from __future__ import annotations

from schemas.article import Article
from schemas.errors import InvalidArticle
from schemas.formats.feed import ATOM, parse_feed
from schemas.formats.xml import root_name, xml_root

NAME = "atom"


def detect(text: str) -> bool:
    return root_name(text) == "feed"


def parse(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    root = xml_root(text)
    if root is None:
        return None
    if root.tag != ATOM:
        raise InvalidArticle("unsupported_format", f"XML root <{root.tag}> is not an Atom feed")
    return parse_feed(text, stamp, NAME)
